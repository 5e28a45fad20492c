/**
 * Geometry decided before any pixel moves: the target size of a resize, the crop box of a
 * smart crop. Pure functions, testable without decoding an image.
 */
import type { Resize } from '../edits.js';
import type { BoundingBox } from '../ports/analyzer.js';

export interface Size {
  width: number;
  height: number;
}

/**
 * The size sharp's `resize` will produce for a source of `source` size, mirroring sharp's rules
 * for each fit (cover/contain/fill give the box; inside/outside keep the aspect ratio).
 */
export function plannedResize(source: Size, resize: Pick<Resize, 'width' | 'height' | 'fit' | 'withoutEnlargement' | 'withoutReduction'>): Size {
  const { width, height } = resize;
  const fit = resize.fit ?? 'cover';
  const ratio = source.width / source.height;
  let target: Size;
  if (width && height) {
    if (fit === 'inside') target = ratio > width / height ? { width, height: Math.round(width / ratio) } : { width: Math.round(height * ratio), height };
    else if (fit === 'outside') target = ratio > width / height ? { width: Math.round(height * ratio), height } : { width, height: Math.round(width / ratio) };
    else target = { width, height };
  } else if (width) target = { width, height: Math.max(1, Math.round(width / ratio)) };
  else if (height) target = { width: Math.max(1, Math.round(height * ratio)), height };
  else return source;
  if (resize.withoutEnlargement && (target.width > source.width || target.height > source.height)) {
    return fit === 'cover' || fit === 'contain' || fit === 'fill' ? clampBox(target, source) : source;
  }
  if (resize.withoutReduction && (target.width < source.width || target.height < source.height)) return source;
  return target;
}

/**
 * The size after one of the allow-listed sharp operations that change geometry (extend, affine,
 * rotate, extract); the others keep the size. Lets the output limit be checked before rendering:
 * without it, `extend: 8192` or `affine: [[1000,0],[0,1000]]` turn a 1 KB source into gigapixels.
 */
export function plannedOperationSize(size: Size, name: string, value: unknown): Size {
  switch (name) {
    case 'extend': {
      if (typeof value === 'number') return { width: size.width + 2 * value, height: size.height + 2 * value };
      const { top = 0, bottom = 0, left = 0, right = 0 } = (value ?? {}) as Record<string, number | undefined>;
      return { width: size.width + left + right, height: size.height + top + bottom };
    }
    case 'affine': {
      const flat = (value as number[] | number[][]).flat();
      const [a = 1, b = 0, c = 0, d = 1] = flat;
      // The bounding box of the transformed rectangle.
      return {
        width: Math.ceil(Math.abs(a) * size.width + Math.abs(b) * size.height),
        height: Math.ceil(Math.abs(c) * size.width + Math.abs(d) * size.height),
      };
    }
    case 'rotate': {
      if (typeof value !== 'number') return size;
      const radians = (((value % 360) + 360) % 360) * (Math.PI / 180);
      const [cos, sin] = [Math.abs(Math.cos(radians)), Math.abs(Math.sin(radians))];
      return {
        width: Math.round(size.width * cos + size.height * sin),
        height: Math.round(size.width * sin + size.height * cos),
      };
    }
    case 'extract': {
      const { width, height } = value as Size;
      return { width, height };
    }
    default:
      return size;
  }
}

/** True when a planned output stays within the per-side and total pixel limits. */
export function fitsOutputLimits(size: Size, limits: { maxOutputDimension: number; maxOutputPixels: number }): boolean {
  return size.width <= limits.maxOutputDimension && size.height <= limits.maxOutputDimension && size.width * size.height <= limits.maxOutputPixels;
}

function clampBox(target: Size, source: Size): Size {
  const scale = Math.min(1, source.width / target.width, source.height / target.height);
  return { width: Math.round(target.width * scale), height: Math.round(target.height * scale) };
}

export interface PixelBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * SIH's smart crop area (its getBoundingBox + getCropArea): the box is clamped to the image first
 * (Rekognition may answer slightly outside it), grown by `padding` pixels on every side, then shrunk
 * where it would leave the image, as SIH does, rather than refused. Returns undefined only when no
 * pixel is left to keep (SIH: SmartCrop::PaddingOutOfBounds).
 */
export function smartCropArea(box: BoundingBox, padding: number, image: Size): PixelBox | undefined {
  const ratio = (value: number) => Math.min(1, Math.max(0, value));
  const boxLeft = ratio(box.left);
  const boxTop = ratio(box.top);
  const boxWidth = Math.min(ratio(box.width), 1 - boxLeft);
  const boxHeight = Math.min(ratio(box.height), 1 - boxTop);
  const left = Math.max(0, Math.floor(boxLeft * image.width - padding));
  const top = Math.max(0, Math.floor(boxTop * image.height - padding));
  const width = Math.min(Math.floor(boxWidth * image.width + padding * 2), image.width - left);
  const height = Math.min(Math.floor(boxHeight * image.height + padding * 2), image.height - top);
  if (width < 1 || height < 1) return undefined;
  return { left, top, width, height };
}

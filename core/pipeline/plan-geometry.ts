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

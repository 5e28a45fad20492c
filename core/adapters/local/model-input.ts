/**
 * Turns untrusted image bytes into the small RGB pixel grid a model reads: decoded with the project's
 * limits (pixel bombs and corrupt files refused with the usual ImageErrors), EXIF orientation applied
 * so boxes match the image the pipeline crops, transparency flattened on white, grey made RGB.
 */
import { DEFAULT_IMAGE_LIMITS, blameSource, openImage, type ImageLimits } from '../../pipeline/sharp-factory.js';

export interface RgbPixels {
  /** width × height × 3 bytes, row by row. */
  data: Buffer;
  width: number;
  height: number;
}

export type ModelInputSize =
  /** Exactly this square, ignoring the aspect ratio: what classifiers trained on squashed squares expect. */
  | { square: number }
  /** At most this long side, aspect ratio kept, never enlarged: what detectors expect. */
  | { maxSide: number };

export async function toModelInput(image: Buffer, size: ModelInputSize, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<RgbPixels> {
  try {
    const resize =
      'square' in size
        ? { width: size.square, height: size.square, fit: 'fill' as const }
        : { width: size.maxSide, height: size.maxSide, fit: 'inside' as const, withoutEnlargement: true };
    const { data, info } = await openImage(image, limits)
      .autoOrient()
      .resize(resize)
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after flatten, got ${info.channels}`);
    return { data, width: info.width, height: info.height };
  } catch (error) {
    // Not mapSharpError alone: a failure may come without its message (another sharp call cleared it).
    throw await blameSource(error, image, limits);
  }
}

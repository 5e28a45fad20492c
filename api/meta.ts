/**
 * `GET /meta/<any image path>`: what the source behind an image URL is, without rendering it:
 * dimensions, format, frames, an EXIF summary, the dominant colour and a ThumbHash placeholder
 * (a ~25-byte preview a page can paint before the image arrives).
 */
import { rgbaToThumbHash } from 'thumbhash';
import { summarizeExif } from '../core/pipeline/exif-summary.js';
import { blameSource, inspectImage, openImage, type ImageLimits } from '../core/pipeline/sharp-factory.js';

export interface ImageMeta {
  width: number;
  height: number;
  format: string;
  bytes: number;
  frames: number;
  hasAlpha: boolean;
  orientation: number;
  dominantColor: string;
  thumbhash: string;
  exif?: Record<string, string | number>;
}

export async function describeImage(input: Buffer, limits: ImageLimits): Promise<ImageMeta> {
  const source = await inspectImage(input, limits);
  const image = openImage(input, limits).autoOrient();
  // The header was fine, but the pixels may not be (truncated, corrupt): the client's 4xx, not a 500.
  const [{ dominant }, metadata, preview] = await Promise.all([
    image.clone().stats(),
    image.clone().metadata(),
    image.clone().resize(100, 100, { fit: 'inside' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true }),
  ]).catch(async (error: unknown) => {
    throw await blameSource(error, input, limits);
  });
  const hex = (value: number) => value.toString(16).padStart(2, '0');
  const exif = metadata.exif ? summarizeExif(metadata.exif) : undefined;
  return {
    width: source.width,
    height: source.height,
    format: source.format,
    bytes: source.size,
    frames: source.pages,
    hasAlpha: source.hasAlpha,
    orientation: source.orientation,
    dominantColor: `#${hex(dominant.r)}${hex(dominant.g)}${hex(dominant.b)}`,
    thumbhash: Buffer.from(rgbaToThumbHash(preview.info.width, preview.info.height, preview.data)).toString('base64'),
    ...(exif && Object.keys(exif).length ? { exif } : {}),
  };
}

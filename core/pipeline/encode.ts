import type { Sharp } from 'sharp';
import type { OutputFormat } from '../edits.js';
import type { Output } from '../image-request.js';
import { DEFAULTS } from '../limits.js';

/** Formats whose encoder keeps every frame of an animation. */
export const ANIMATED_FORMATS: ReadonlySet<string> = new Set(['gif', 'webp']);

/** sharp's name for an input format, as an output format we can write (SVG and others become PNG). */
export function outputFormatOf(inputFormat: string): OutputFormat {
  switch (inputFormat) {
    case 'jpeg':
    case 'jpg':
      return 'jpeg';
    case 'png':
    case 'webp':
    case 'gif':
    case 'avif':
    case 'tiff':
      return inputFormat;
    case 'heif':
      return 'heif';
    default:
      return 'png';
  }
}

/**
 * Sets the encoder: format, quality (request > per-format options > default) and per-format
 * options. Metadata is stripped and colour converted to sRGB unless `keepMetadata` is set,
 * which is sharp's default behaviour; `keepMetadata` keeps EXIF, ICC and XMP.
 */
export function applyEncoder(image: Sharp, format: OutputFormat, output: Output): Sharp {
  const options: Record<string, unknown> = { ...(output.options?.[format] ?? {}) };
  options.quality = output.quality ?? options.quality ?? DEFAULTS.quality[format];
  if (format === 'avif' || format === 'heif') options.effort ??= DEFAULTS.avifEffort;
  // sharp ≥ 0.34 requires a HEIF compression; its prebuilt libvips has AV1 only (HEVC is patent-encumbered).
  if (format === 'heif') options.compression ??= 'av1';
  if (format === 'webp') options.effort ??= DEFAULTS.webpEffort;
  if (format === 'gif') options.effort ??= DEFAULTS.gifEffort;
  if (format === 'jpeg') options.mozjpeg ??= false;
  if (format === 'gif' || format === 'png') {
    if (format === 'png' && options.quality === 100) delete options.quality; // quality < 100 turns on palette quantisation
    if (format === 'gif') delete options.quality;
  }
  if (output.keepMetadata) image.keepMetadata();
  return image.toFormat(format, options);
}

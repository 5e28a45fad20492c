/**
 * Turns SIH-shaped edits (loose JSON: numeric strings, `toFormat`, per-format option keys) into
 * the model's `edits` and `output`. The one documented place where SIH compatibility bends the
 * strictness of the model: unknown edit names are ignored, as SIH ignores them, and reported.
 */
import { EDIT_NAMES, OUTPUT_FORMATS, Region, type OutputFormat } from '../../core/edits.js';
import { RequestError } from '../../core/errors.js';
import type { Output } from '../../core/image-request.js';
import { cropOutOfBounds } from '../../core/pipeline/steps/crop.js';
import { ownEntry } from '../../core/own-entry.js';

const FORMAT_ALIASES: Record<string, OutputFormat> = { jpg: 'jpeg', tif: 'tiff', heic: 'heif' };

/** True for a format name `normalizeFormat` accepts (aliases included). */
export function isOutputFormat(name: string): boolean {
  return (OUTPUT_FORMATS as readonly string[]).includes(ownEntry(FORMAT_ALIASES, name) ?? name);
}

/** `jpg` → `jpeg`, `tif` → `tiff`; throws a 400 for a format we cannot write. */
export function normalizeFormat(value: unknown): OutputFormat {
  // Only a string names a format (an object's own `toString` could throw, or lie).
  const name = typeof value === 'string' ? value.toLowerCase().trim() : '';
  const format = ownEntry(FORMAT_ALIASES, name) ?? name;
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new RequestError('UnsupportedOutputImageFormatException', `Format to ${typeof value === 'string' ? value : JSON.stringify(value) ?? typeof value} not supported`);
  }
  return format as OutputFormat;
}

export interface NormalizedEdits {
  edits: Record<string, unknown>;
  output: Output;
  /** Edit names SIH would silently skip; answered in the `X-Shutter-Ignored-Edits` header. */
  ignored: string[];
}

export function normalizeSihEdits(raw: unknown): NormalizedEdits {
  if (raw === undefined || raw === null) return { edits: {}, output: {}, ignored: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RequestError('ImageEdits::CannotParseEdits', 'The edits you provided could not be parsed. Please check the syntax of your request and refer to the documentation for additional guidance.');
  }
  const edits: Record<string, unknown> = {};
  const output: Output = {};
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === 'toFormat') {
      output.format = normalizeFormat(value);
    } else if (Object.hasOwn(FORMAT_ALIASES, name) || (OUTPUT_FORMATS as readonly string[]).includes(name)) {
      const format = ownEntry(FORMAT_ALIASES, name) ?? (name as OutputFormat);
      if (value && typeof value === 'object') output.options = { ...output.options, [format]: value };
    } else if (name === 'resize') {
      edits.resize = normalizeResize(value);
    } else if (name === 'crop') {
      edits.crop = checkCrop(value);
    } else if (name === 'overlayWith') {
      edits.overlayWith = normalizeOverlay(value);
    } else if (EDIT_NAMES.has(name)) {
      edits[name] = value;
    } else {
      ignored.push(name);
    }
  }
  return { edits, output, ignored };
}

/** SIH rounds numeric strings and floats; zero or negative sizes are SIH's InvalidResizeException. */
function normalizeResize(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const resize = { ...(value as Record<string, unknown>) };
  for (const side of ['width', 'height'] as const) {
    const size = resize[side];
    if (size === undefined || size === null || size === '') {
      if (size === '') resize[side] = null;
      continue;
    }
    const number = Math.round(Number(size));
    if (!Number.isFinite(number) || number <= 0) throw new RequestError('InvalidResizeException', 'The image size is invalid.');
    resize[side] = number;
  }
  if (typeof resize.ratio === 'string') resize.ratio = Number(resize.ratio);
  return resize;
}

/**
 * SIH passes `crop` to sharp's `extract`, which refuses anything but four whole numbers from 0
 * (a negative `left`, `right` instead of `width`...): SIH answers that with its crop error.
 */
function checkCrop(value: unknown): unknown {
  if (!Region.safeParse(value).success) throw cropOutOfBounds();
  return value;
}

/** Thumbor's watermark filter yields strings; SIH accepts them as numbers. */
function normalizeOverlay(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const overlay = { ...(value as Record<string, unknown>) };
  for (const name of ['wRatio', 'hRatio', 'alpha'] as const) {
    const field = overlay[name];
    if (field === undefined || field === null || field === '') delete overlay[name];
    else if (typeof field === 'string') overlay[name] = /^\d{1,3}$/.test(field) && Number(field) <= 100 ? Number(field) : field;
  }
  if (overlay.options && typeof overlay.options === 'object') {
    const options = { ...(overlay.options as Record<string, unknown>) };
    for (const side of ['left', 'top'] as const) {
      if (typeof options[side] === 'string' && /^-?\d+$/.test(options[side] as string)) options[side] = Number(options[side]);
    }
    overlay.options = options;
  }
  return overlay;
}

/**
 * Thumbor filters, mapped as SIH maps them (see docs/sih-reference.md §C.2), plus the ones SIH
 * ignores that have a clear sharp meaning (brightness, contrast, saturation) and `preset`.
 */
import type { Output } from '../../core/image-request.js';
import { isOutputFormat, normalizeFormat } from './sih-edits.js';

export interface FilterTarget {
  edits: Record<string, unknown>;
  resize: Record<string, unknown>;
  output: Output;
}

/** What a filter may tell the door: a preset to use, or that SIH would ignore it (reported, not refused). */
type FilterHandler = (args: string, target: FilterTarget) => void | { preset?: string; ignored?: string };

/** A Thumbor colour: a CSS name, or hex without its `#`. */
export function thumborColor(value: string): string {
  const color = value.trim();
  return /^([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(color) ? `#${color}` : color;
}

const list = (args: string) => args.split(',').map((value) => value.trim());
const number = (value: string | undefined) => (value === undefined || value === '' ? NaN : Number(value));

export const THUMBOR_FILTERS: Record<string, FilterHandler> = {
  autojpg: (_, { output }) => void (output.format = 'jpeg'),
  background_color: (args, { edits }) => void (edits.flatten = { background: thumborColor(args) }),
  blur: (args, { edits }) => {
    const [radius = NaN, sigma = NaN] = list(args).map(number);
    const value = !Number.isNaN(sigma) ? sigma : radius / 2;
    if (value >= 0.3) edits.blur = value;
  },
  convolution: (args, { edits }) => {
    const [matrix = '', columns = ''] = list(args);
    const kernel = matrix.split(';').map(Number);
    const width = Number(columns);
    edits.convolve = { width, height: Math.ceil(kernel.length / width), kernel };
  },
  equalize: (_, { edits }) => void (edits.normalise = true),
  fill: (args, { resize }) => {
    resize.fit = 'contain';
    resize.background = args === 'transparent' ? { r: 0, g: 0, b: 0, alpha: 0 } : thumborColor(args);
  },
  // SIH sets only a format it knows and ignores any other (its test "Should return undefined if an
  // accepted file format is not specified"); `raw` is one SIH knows and shutter cannot write.
  format: (args, { output }) => {
    const name = args.replace(/[^0-9a-z]/gi, '').toLowerCase();
    if (!isOutputFormat(name)) return { ignored: `format(${name})` };
    output.format = normalizeFormat(name);
  },
  grayscale: (_, { edits }) => void (edits.grayscale = true),
  no_upscale: (_, { resize }) => void (resize.withoutEnlargement = true),
  proportion: (args, { resize }) => {
    const ratio = Number(args);
    if (resize.width && resize.height) {
      resize.width = Math.round(Number(resize.width) * ratio);
      resize.height = Math.round(Number(resize.height) * ratio);
    } else resize.ratio = ratio;
  },
  quality: (args, { output }) => {
    const quality = Math.round(Number(args));
    if (quality >= 1 && quality <= 100) output.quality = quality;
  },
  rgb: (args, { edits }) => {
    const [r = 0, g = 0, b = 0] = list(args).map(Number);
    edits.tint = { r: clamp(255 * (r / 100)), g: clamp(255 * (g / 100)), b: clamp(255 * (b / 100)) };
  },
  rotate: (args, { edits }) => {
    if (args !== '') edits.rotate = Number(args);
  },
  sharpen: (args, { edits }) => {
    const radius = Number(list(args)[1]);
    edits.sharpen = 1 + (Number.isFinite(radius) ? radius : 0) / 2;
  },
  stretch: (_, { resize }) => {
    if (resize.fit !== 'inside') resize.fit = 'fill';
  },
  strip_exif: (_, { edits }) => void (edits.rotate = null),
  strip_icc: (_, { edits }) => void (edits.rotate = null),
  upscale: (_, { resize }) => void (resize.fit = 'inside'),
  watermark: (args, { edits }) => {
    const [bucket, key, x, y, alpha, wRatio, hRatio] = args.replace(/\s+/g, '').split(',');
    const position = /^(100|[1-9]?\d|-(100|[1-9]\d?))p$/;
    const options: Record<string, string> = {};
    if (x !== undefined && (position.test(x) || (x !== '' && !Number.isNaN(Number(x))))) options.left = x;
    if (y !== undefined && (position.test(y) || (y !== '' && !Number.isNaN(Number(y))))) options.top = y;
    edits.overlayWith = { bucket, key, alpha, wRatio, hRatio, options };
  },
  animated: (args, { edits }) => void (edits.animated = args.toLowerCase() !== 'false'),
  smart_crop: (args, { edits }) => {
    const [faceIndex, padding] = list(args);
    edits.smartCrop = {
      ...(faceIndex ? { faceIndex: parseInt(faceIndex, 10) } : {}),
      ...(padding ? { padding: parseInt(padding, 10) } : {}),
    };
  },
  // Not in SIH: Thumbor's own meaning, on sharp's modulate/linear.
  brightness: (args, { edits }) => {
    const amount = Number(args);
    if (Number.isFinite(amount)) edits.modulate = { ...(edits.modulate as object), brightness: Math.max(0, 1 + amount / 100) };
  },
  saturation: (args, { edits }) => {
    const amount = Number(args);
    if (Number.isFinite(amount)) edits.modulate = { ...(edits.modulate as object), saturation: Math.max(0, 1 + amount / 100) };
  },
  contrast: (args, { edits }) => {
    const amount = Number(args);
    if (!Number.isFinite(amount)) return;
    const a = Math.max(0, 1 + amount / 100);
    edits.linear = [a, 128 * (1 - a)];
  },
  // Not in SIH: a named preset from the presets file.
  preset: (args) => ({ preset: args.trim() }),
};

function clamp(value: number): number {
  return Math.max(0, Math.min(255, value));
}

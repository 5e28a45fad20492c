/**
 * The doors in reverse: one transformation written as a URL in each dialect the API reads
 * (SIH's base64 Default, SIH's Thumbor paths, the readable query form). The console's
 * playground shows all three; a test decodes each with the real doors and renders it, so the
 * three always mean the same image.
 *
 * Pure and free of Node APIs: the console bundles it for the browser.
 *
 * @example
 * imageUrls({ key: 'astronaut.jpg', width: 400, height: 300, fit: 'cover', format: 'webp' }, { defaultBucket: 'images' })
 * // default: /eyJidWNrZXQiOi…   thumbor: /400x300/filters:format(webp)/astronaut.jpg   query: /astronaut.jpg?width=400&height=300&fit=cover&format=webp
 */

export const FITS = ['cover', 'contain', 'fill', 'inside', 'outside'] as const;
export const PLAYGROUND_FORMATS = ['jpeg', 'png', 'webp', 'avif', 'auto'] as const;

/** What the playground's controls build. Absent fields leave the image as it is. */
export interface Transformation {
  /** The source bucket; absent means the default (first of SOURCE_BUCKETS). */
  bucket?: string;
  key: string;
  width?: number;
  height?: number;
  fit?: (typeof FITS)[number];
  /** `auto` negotiates from the Accept header. */
  format?: (typeof PLAYGROUND_FORMATS)[number];
  quality?: number;
  rotate?: 90 | 180 | 270;
  /** Mirror vertically. */
  flip?: boolean;
  /** Mirror horizontally. */
  flop?: boolean;
  grayscale?: boolean;
  /** Gaussian blur sigma, 0.3 to 100. */
  blur?: number;
  /** Sharpen sigma (SIH's `sharpen` number), 1 or more. */
  sharpen?: number;
  /** SIH's smartCrop: crop to the first face found. */
  smartCrop?: boolean;
}

export type Dialect = 'default' | 'thumbor' | 'query';

export interface DialectUrl {
  dialect: Dialect;
  /** The path, percent-encoded as sent. */
  path: string;
  query: Record<string, string>;
  /** Parts of the transformation this dialect cannot say, left out of its URL. */
  omitted: string[];
}

export function imageUrls(t: Transformation, options: { defaultBucket: string }): DialectUrl[] {
  return [defaultUrl(t, options.defaultBucket), thumborUrl(t, options.defaultBucket), queryUrl(t, options.defaultBucket)];
}

/** `path?query`, with the query encoded. */
export function urlOf(url: Pick<DialectUrl, 'path' | 'query'>): string {
  const search = new URLSearchParams(url.query).toString();
  return search ? `${url.path}?${search}` : url.path;
}

const hasSize = (t: Transformation) => !!(t.width || t.height);
const explicitFormat = (t: Transformation) => (t.format && t.format !== 'auto' ? t.format : undefined);

function defaultUrl(t: Transformation, defaultBucket: string): DialectUrl {
  const edits: Record<string, unknown> = {};
  const query: Record<string, string> = {};
  if (hasSize(t)) edits.resize = { ...(t.width ? { width: t.width } : {}), ...(t.height ? { height: t.height } : {}), ...(t.fit ? { fit: t.fit } : {}) };
  if (t.rotate) edits.rotate = t.rotate;
  if (t.flip) edits.flip = true;
  if (t.flop) edits.flop = true;
  if (t.grayscale) edits.grayscale = true;
  if (t.blur) edits.blur = t.blur;
  if (t.sharpen) edits.sharpen = t.sharpen;
  if (t.smartCrop) edits.smartCrop = {};
  const format = explicitFormat(t);
  if (t.quality) {
    // SIH carries quality in the per-format options; with no format named, shutter's `quality` parameter says it.
    if (format) edits[format] = { quality: t.quality };
    else query.quality = String(t.quality);
  }
  if (t.format === 'auto') query.format = 'auto';
  const request = {
    ...(t.bucket && t.bucket !== defaultBucket ? { bucket: t.bucket } : {}),
    key: t.key,
    ...(Object.keys(edits).length ? { edits } : {}),
    ...(format ? { outputFormat: format } : {}),
  };
  return { dialect: 'default', path: `/${base64(JSON.stringify(request))}`, query, omitted: [] };
}

function thumborUrl(t: Transformation, defaultBucket: string): DialectUrl {
  const segments: string[] = [];
  const filters: string[] = [];
  const query: Record<string, string> = {};
  const omitted: string[] = [];
  if (t.fit === 'inside') segments.push('fit-in');
  else if (t.fit === 'outside') segments.push('full-fit-in');
  else if (t.fit === 'fill') filters.push('stretch()');
  else if (t.fit === 'contain') filters.push('fill(000)'); // sharp's own contain background: opaque black
  if (hasSize(t) || t.flip || t.flop) segments.push(`${t.flop ? '-' : ''}${t.width ?? 0}x${t.flip ? '-' : ''}${t.height ?? 0}`);
  if (t.smartCrop) filters.push('smart_crop()');
  const format = explicitFormat(t);
  if (format) filters.push(`format(${format})`);
  if (t.format === 'auto') query.format = 'auto';
  if (t.quality) filters.push(`quality(${t.quality})`);
  if (t.grayscale) filters.push('grayscale()');
  if (t.rotate) filters.push(`rotate(${t.rotate})`);
  if (t.blur) filters.push(`blur(${round(t.blur * 2)})`); // Thumbor's radius; sigma = radius / 2
  if (t.sharpen) {
    // SIH reads sharpen(amount,radius,luminance) as sigma = 1 + radius / 2.
    if (t.sharpen >= 1) filters.push(`sharpen(1,${round((t.sharpen - 1) * 2)},true)`);
    else omitted.push('sharpen below 1');
  }
  if (filters.length) segments.push(`filters:${filters.join(':')}`);
  if (t.bucket && t.bucket !== defaultBucket) segments.push(`s3:${t.bucket}`);
  segments.push(encodeKey(t.key));
  return { dialect: 'thumbor', path: `/${segments.join('/')}`, query, omitted };
}

function queryUrl(t: Transformation, defaultBucket: string): DialectUrl {
  const query: Record<string, string> = {};
  const omitted: string[] = [];
  if (t.width) query.width = String(t.width);
  if (t.height) query.height = String(t.height);
  if (t.fit && hasSize(t)) query.fit = t.fit;
  if (t.format) query.format = t.format;
  if (t.quality) query.quality = String(t.quality);
  if (t.rotate) query.rotate = String(t.rotate);
  if (t.flip) query.flip = 'true';
  if (t.flop) query.flop = 'true';
  if (t.grayscale) query.grayscale = 'true';
  if (t.blur) omitted.push('blur');
  if (t.sharpen) omitted.push('sharpen');
  if (t.smartCrop) omitted.push('smart crop');
  // The query form has no bucket parameter; a Thumbor `s3:` segment names one.
  const bucket = t.bucket && t.bucket !== defaultBucket ? `/s3:${t.bucket}` : '';
  return { dialect: 'query', path: `${bucket}/${encodeKey(t.key)}`, query, omitted };
}

/** Each segment percent-encoded, the slashes kept. */
function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** Standard base64 with padding, as SIH's Default door expects; UTF-8 first, for non-ASCII keys. */
function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

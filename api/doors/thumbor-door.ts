/**
 * SIH's Thumbor door: `/[unsafe/][trim/][AxB:CxD/][fit-in/][-]WxH[-]/[halign/valign/][smart/]
 * [filters:name(args)[:name(args)]/][s3:bucket/]key`.
 *
 * Options are read segment by segment from the start (in any order, as SIH strips them wherever
 * they stand); the first segment that is no option starts the key. Where SIH ignores a Thumbor
 * feature, Thumbor's real meaning is implemented: negative sizes flip, `halign`/`valign` and
 * `smart` choose what a crop keeps, `trim` trims, `unsafe/` is not part of the key.
 */
import { RequestError } from '../../core/errors.js';
import type { Output } from '../../core/image-request.js';
import { cropOutOfBounds } from '../../core/pipeline/steps/crop.js';
import type { RawImageRequest, RequestType } from './raw-request.js';
import { normalizeFormat, normalizeSihEdits } from './sih-edits.js';
import { THUMBOR_FILTERS } from './thumbor-filters.js';
import { ownEntry } from '../../core/own-entry.js';

/**
 * SIH: a Thumbor path has no extension, or one of SIH's image extensions (not `.heic`/`.heif`).
 * SIH's two regexes give the answers; they backtrack over the whole path (~60 ms of event loop
 * per 8 KB path), so the same answers are read from the path's end only
 * (test/api/doors/thumbor-path-match.test.ts checks both agree).
 */
const THUMBOR_EXTENSION = /(?:\.jpg|\.jpeg|[^\n\r\u2028\u2029]\.png|\.webp|\.tiff|\.tif|\.svg|\.gif|\.avif)$/i;

export function isThumborPath(path: string): boolean {
  // The longest extension with the character before `.png` is 6 characters: look at 8.
  return hasNoExtension(path) || THUMBOR_EXTENSION.test(path.slice(-8));
}

/** SIH's `^((.(?!(\.[^.\\/]+$)))*$)`: no line break, and no `.x` ending the path after its first character. */
function hasNoExtension(path: string): boolean {
  if (/[\n\r\u2028\u2029]/.test(path)) return false;
  const dot = path.lastIndexOf('.');
  return dot < 1 || dot === path.length - 1 || /[\\/]/.test(path.slice(dot + 1));
}

/** Splits on `/` except inside parentheses (watermark keys may contain slashes). */
export function splitSegments(path: string): string[] {
  const segments: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of path) {
    if (char === '(') depth++;
    else if (char === ')') depth = Math.max(0, depth - 1);
    if (char === '/' && depth === 0) {
      segments.push(current);
      current = '';
    } else current += char;
  }
  segments.push(current);
  return segments;
}

const CROP = /^(\d{1,6})x(\d{1,6}):(\d{1,6})x(\d{1,6})$/;
const SIZE = /^(-?)(\d{0,6})x(-?)(\d{0,6})$/;
const HALIGN: Record<string, string> = { left: 'left', center: 'centre', right: 'right' };
const VALIGN: Record<string, string> = { top: 'top', middle: 'centre', bottom: 'bottom' };

export function decodeThumbor(
  path: string,
  options: { allowedBuckets: readonly string[]; type?: RequestType },
): RawImageRequest {
  // A leading slash leaves an empty first segment.
  const segments = splitSegments(path.startsWith('/') ? path.slice(1) : path);
  let edits: Record<string, unknown> = {};
  const resize: Record<string, unknown> = {};
  const output: Output = {};
  const ignored: string[] = [];
  let bucket: string | undefined;
  let sawSize = false;
  let halign: string | undefined;
  let valign: string | undefined;
  let smart = false;
  let preset: string | undefined;

  let index = 0;
  if (segments[0] === 'unsafe') index++;
  for (; index < segments.length - 1; index++) {
    const segment = segments[index]!;
    let match: RegExpExecArray | null;
    if (segment === '') continue; // a doubled slash between options
    if (segment === 'trim' || segment.startsWith('trim:')) {
      const threshold = Number(segment.split(':')[2]);
      edits.trim = Number.isFinite(threshold) && threshold > 0 ? { threshold } : true;
    } else if ((match = CROP.exec(segment))) {
      const [left, top, right, bottom] = match.slice(1).map(Number) as [number, number, number, number];
      if (right <= left || bottom <= top) {
        throw cropOutOfBounds();
      }
      edits.crop = { left, top, width: right - left, height: bottom - top };
    } else if (segment === 'fit-in' || segment === 'adaptive-fit-in') {
      resize.fit = 'inside';
    } else if (segment === 'full-fit-in') {
      resize.fit = 'outside';
    } else if ((match = SIZE.exec(segment)) && (match[2] || match[4])) {
      const width = Number(match[2] || 0);
      const height = Number(match[4] || 0);
      if (width === 0 || height === 0) resize.fit ??= 'inside';
      resize.width = width === 0 ? null : width;
      resize.height = height === 0 ? null : height;
      if (match[1]) edits.flop = true; // Thumbor: a negative width mirrors horizontally
      if (match[3]) edits.flip = true; // and a negative height vertically
      sawSize = true;
    } else if (sawSize && Object.hasOwn(HALIGN, segment) && !halign) {
      halign = HALIGN[segment];
    } else if (sawSize && Object.hasOwn(VALIGN, segment) && !valign) {
      valign = VALIGN[segment];
    } else if (segment === 'smart') {
      smart = true;
    } else if (segment.startsWith('filters:')) {
      for (const filter of parseFilters(segment)) {
        const handler = ownEntry(THUMBOR_FILTERS, filter.name);
        if (!handler) {
          ignored.push(`filters:${filter.name}`);
          continue;
        }
        const result = handler(filter.args, { edits, resize, output });
        if (result?.preset) preset = result.preset;
        if (result?.ignored) ignored.push(`filters:${result.ignored}`);
      }
    } else if (segment.startsWith('s3:') && options.allowedBuckets.includes(segment.slice(3)) && !bucket) {
      bucket = segment.slice(3);
    } else break;
  }

  const rawKey = segments.slice(index).join('/');
  let key: string;
  try {
    key = decodeURIComponent(rawKey);
  } catch (error) {
    throw new RequestError('DecodeRequest::CannotReadPath', 'The URL path you provided could not be read. Please ensure that it is properly formed according to the solution documentation.', 400, { cause: error });
  }
  if (!key) {
    throw new RequestError('ImageEdits::CannotFindImage', 'The image you specified could not be found. Please check your request syntax as well as the bucket you specified to ensure it exists.', 404);
  }

  if (smart) resize.position = 'attention';
  // sharp names a corner horizontal side first ('right bottom'), and accepts nothing else.
  else if (halign || valign) resize.position = [halign, valign].filter((x) => x && x !== 'centre').join(' ') || 'centre';
  // SIH's order (its mapper merges crop, then resize, then the filters' edits), which is the order they apply in.
  const { trim, crop, ...filtered } = edits;
  edits = {
    ...(trim !== undefined ? { trim } : {}),
    ...(crop !== undefined ? { crop } : {}),
    ...(Object.keys(resize).length ? { resize } : {}),
    ...filtered,
  };
  // `format(...)` and `quality(...)` filters write straight into `output`; other edits go through SIH's normaliser.
  const normalized = normalizeSihEdits(edits);
  return {
    type: options.type ?? 'Thumbor',
    bucket: bucket ?? options.allowedBuckets[0]!,
    bucketExplicit: bucket !== undefined,
    key,
    edits: normalized.edits,
    output: { ...normalized.output, ...output },
    ignored: [...ignored, ...normalized.ignored],
    ...(preset ? { preset } : {}),
  };
}

interface Filter {
  name: string;
  args: string;
}

/** `filters:a(1):b(x,y)` → [{a, "1"}, {b, "x,y"}]; parentheses may hold colons (watermark keys). */
export function parseFilters(segment: string): Filter[] {
  const filters: Filter[] = [];
  const pattern = /:?([a-z_]+)\(((?:[^()]|\([^()]*\))*)\)/gy;
  pattern.lastIndex = 'filters'.length;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(segment))) filters.push({ name: match[1]!, args: safeDecode(match[2]!) });
  if (pattern.lastIndex !== 0 && pattern.lastIndex < segment.length) {
    // Trailing garbage after the last filter: SIH ignores it, so do we, but it is reported.
    filters.push({ name: segment.slice(pattern.lastIndex).replace(/^:/, '') || 'unknown', args: '' });
  }
  return filters;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export { normalizeFormat };

/**
 * SIH v7's query parameters (`format`, `fit`, `width`, `height`, `rotate`, `flip`, `flop`,
 * `grayscale`/`greyscale`, `dpr`), combinable with every door, plus shutter's `quality`, `preset`
 * and short names (`w`, `h`, `q`) for the readable form `/key.jpg?w=400&fit=cover&format=auto`.
 *
 * Unlike SIH's shallow merge, `width`/`height`/`fit` merge into the door's resize instead of
 * replacing it, so `/fit-in/200x300/a.jpg?width=100` keeps its fit. Unknown parameters are
 * ignored (cache busters are common); `signature` and `expires` belong to the signature check.
 */
import { RequestError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import type { RawImageRequest } from './raw-request.js';
import { normalizeFormat } from './sih-edits.js';

/** Every query parameter the doors read, the one list CloudFront's cache key is derived from. */
export const QUERY_PARAMETERS = [
  'format', 'fit', 'width', 'w', 'height', 'h', 'rotate', 'flip', 'flop', 'grayscale', 'greyscale',
  'quality', 'q', 'dpr', 'preset',
] as const;
export type QueryParameter = (typeof QUERY_PARAMETERS)[number];

/** The parameters of the signature check (`api/signature.ts`): signed URLs carry them. */
export const SIGNATURE_PARAMETERS = ['signature', 'expires'] as const;

/**
 * What may reach the handler and the cache key: anything else changes nothing in the answer, so
 * CloudFront drops it (`infra/accept-normalizer.ts`) rather than let `?x=<random>` miss the cache.
 */
export const CACHE_KEY_QUERY_PARAMETERS: readonly string[] = [...QUERY_PARAMETERS, ...SIGNATURE_PARAMETERS];

const isQueryParameter = (name: string): name is QueryParameter => (QUERY_PARAMETERS as readonly string[]).includes(name);

const toBoolean = (value: string) => !['0', 'false', ''].includes(value.toLowerCase());
const FITS = ['cover', 'contain', 'fill', 'inside', 'outside'];

function size(name: string, value: string): number | null {
  if (value === '' || value === '0') return null;
  const number = Number(value);
  if (!Number.isFinite(number)) {
    throw new RequestError('QueryParameterParsingError', `Query parameter parsing failed: ${name} must be a positive number.`);
  }
  // SIH reads the number, then its resize check refuses a size below one.
  if (Math.round(number) < 1) throw new RequestError('InvalidResizeException', 'The image size is invalid.');
  return Math.round(number);
}

export function applyQueryParams(request: RawImageRequest, query: Record<string, string>): RawImageRequest {
  const edits = { ...request.edits };
  const output = { ...request.output };
  const resize: Record<string, unknown> = { ...(edits.resize as Record<string, unknown> | undefined) };
  let touchedResize = false;
  // SIH merges `{ ...edits, ...queryEdits }`: a door's resize keeps its place in the edits, a new
  // one comes where the query first names it, and the edits apply in that order.
  const touchResize = () => {
    if (!touchedResize) edits.resize = resize;
    touchedResize = true;
  };
  let preset = request.preset;
  for (const [name, value] of Object.entries(query)) {
    if (!isQueryParameter(name)) continue;
    switch (name) {
      case 'format':
        if (value.toLowerCase() === 'auto') output.auto = true;
        else output.format = normalizeFormat(value);
        break;
      case 'fit':
        if (!FITS.includes(value)) throw new RequestError('QueryParameterParsingError', `Query parameter parsing failed: fit must be one of ${FITS.join(', ')}.`);
        resize.fit = value;
        touchResize();
        break;
      case 'width':
      case 'w':
        resize.width = size(name, value);
        touchResize();
        break;
      case 'height':
      case 'h':
        resize.height = size(name, value);
        touchResize();
        break;
      case 'rotate':
        edits.rotate = value === '' ? null : Number.parseInt(value, 10);
        if (Number.isNaN(edits.rotate)) throw new RequestError('QueryParameterParsingError', 'Query parameter parsing failed: rotate must be a number.');
        break;
      case 'flip':
      case 'flop':
        edits[name] = toBoolean(value);
        break;
      case 'grayscale':
      case 'greyscale':
        edits.greyscale = toBoolean(value);
        break;
      case 'quality':
      case 'q': {
        const quality = Number(value);
        if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
          throw new RequestError('QueryParameterParsingError', 'Query parameter parsing failed: quality must be a whole number from 1 to 100.');
        }
        output.quality = quality;
        break;
      }
      case 'dpr': {
        const dpr = Number.parseFloat(value);
        // SIH ignores a bad or non-positive dpr and caps it at 4.
        if (Number.isFinite(dpr) && dpr > 0) output.dpr = Math.min(dpr, LIMITS.maxDpr);
        break;
      }
      case 'preset':
        preset = value;
        break;
      default:
        // Every name of QUERY_PARAMETERS has its case above: a new one fails to compile here.
        name satisfies never;
    }
  }
  if (touchedResize && resize.width === null && resize.height === null) {
    delete resize.width;
    delete resize.height;
  }
  return { ...request, edits, output, ...(preset ? { preset } : {}) };
}

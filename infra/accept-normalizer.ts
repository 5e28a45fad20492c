/**
 * A CloudFront Function (viewer request) that shapes the image cache key before CloudFront
 * computes it:
 *
 * - Query: only the parameters the image handler reads survive (`CACHE_KEY_QUERY_PARAMETERS`,
 *   derived from `api/doors/query-params.ts`: SIH v7's, shutter's own, `signature`, `expires`).
 *   Anything else changes nothing in the answer, so `?x=<random>` would only turn every request
 *   into a cache miss on a 1769 MB Lambda; it is dropped before the cache key and never reaches
 *   the origin (so a signature can only cover what the handler reads). A filter here rather than
 *   the cache policy's allow-list, which CloudFront caps at 10 names.
 * - Accept: reduced to what format negotiation reads (`api/negotiate-format.ts`): `image/avif`
 *   and/or `image/webp`, and only when Accept can decide the format (AUTO_WEBP, AUTO_AVIF or
 *   `?format=auto`); otherwise the header is dropped. Browsers that send a hundred different
 *   Accept strings share at most four cache entries per URL.
 * - Host: the viewer's, copied to `x-viewer-host` for host mappings (API Gateway needs its own Host).
 * - Client hints (with `clientHints`): DPR, Width and Viewport-Width, standard or legacy, become
 *   the standard headers holding the bucket the handler itself would use (`api/client-hints.ts`:
 *   DPR in halves from 1, widths up to the next 100 px), so a URL has a few dozen cache entries at
 *   most, never one per device.
 */
import { HINTS } from '../api/client-hints.js';

/**
 * The viewer's Host, copied for the origin: API Gateway needs its own Host, and host mappings
 * (`core/delivery-settings.ts`) need the viewer's. Part of the cache key, so each host has its own entries.
 */
export const VIEWER_HOST_HEADER = 'x-viewer-host';
import { CACHE_KEY_QUERY_PARAMETERS } from '../api/doors/query-params.js';
import { LIMITS } from '../core/limits.js';

/** The client-hint headers the function leaves for the cache key (lower case, as CloudFront names them). */
export const CLIENT_HINT_HEADERS = Object.values(HINTS).map(([standard]) => standard.toLowerCase());

export interface AcceptNormalizerSettings {
  autoWebp: boolean;
  autoAvif: boolean;
  /** Bucket the client hints into the cache key. @default false */
  clientHints?: boolean;
  /** The query parameters kept. @default CACHE_KEY_QUERY_PARAMETERS */
  queryParameters?: readonly string[];
}

/** The function's source (cloudfront-js-2.0; written in ES5 to stay within its subset). */
export function acceptNormalizerCode(settings: AcceptNormalizerSettings): string {
  const kept = settings.queryParameters ?? CACHE_KEY_QUERY_PARAMETERS;
  return `var QUERY_PARAMETERS = ${JSON.stringify(Object.fromEntries(kept.map((name) => [name, true])))};
function handler(event) {
  var request = event.request;
  var headers = request.headers;
  var query = {};
  for (var name in request.querystring) {
    if (QUERY_PARAMETERS[name] === true) query[name] = request.querystring[name];
  }
  request.querystring = query;
  var format = query.format;
  var auto = !!format && String(format.value).toLowerCase() === 'auto';
  var mayAvif = auto || ${settings.autoAvif};
  var mayWebp = auto || ${settings.autoWebp};
  var accept = headers.accept ? String(headers.accept.value).toLowerCase() : '';
  var kept = [];
  if (mayAvif && accept.indexOf('image/avif') !== -1) kept.push('image/avif');
  if (mayWebp && accept.indexOf('image/webp') !== -1) kept.push('image/webp');
  if (kept.length > 0) headers.accept = { value: kept.join(',') };
  else delete headers.accept;
  if (headers.host) headers['${VIEWER_HOST_HEADER}'] = { value: headers.host.value };
  else delete headers['${VIEWER_HOST_HEADER}'];
${settings.clientHints ? clientHintsCode() : ''}  return request;
}
`;
}

/** The hint bucketing of `api/client-hints.ts`, in the function's ES5 (its limits inlined from core/limits.ts). */
function clientHintsCode(): string {
  const hints = Object.values(HINTS).map(([standard, legacy]) => [standard.toLowerCase(), legacy.toLowerCase()]);
  return `  var HINTS = ${JSON.stringify(hints)};
  for (var i = 0; i < HINTS.length; i++) {
    var standard = HINTS[i][0], legacy = HINTS[i][1];
    var text = headers[standard] ? headers[standard].value : headers[legacy] ? headers[legacy].value : '';
    var value = Number(String(text).trim());
    delete headers[legacy];
    if (!text || !isFinite(value) || value <= 0) { delete headers[standard]; continue; }
    var bucket = standard === 'sec-ch-dpr'
      ? Math.min(${LIMITS.maxDpr}, Math.max(1, Math.ceil(value * 2) / 2))
      : Math.min(${LIMITS.maxOutputDimension}, Math.max(100, Math.ceil(value / 100) * 100));
    headers[standard] = { value: String(bucket) };
  }
`;
}

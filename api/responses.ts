/** Headers every answer shares (CORS as SIH sets them, security headers), and error answers. */
import type { Config } from '../core/config.js';
import { TransientError, toShutterError, type ShutterError } from '../core/errors.js';
import { DEFAULTS } from '../core/limits.js';
import { json, type HttpResponse } from './http.js';

export function baseHeaders(config: Pick<Config, 'cors'>): Record<string, string> {
  const headers: Record<string, string> = {
    'Access-Control-Allow-Methods': 'GET',
    'Access-Control-Allow-Headers': 'Content-Type, Authorization',
    'Access-Control-Allow-Credentials': 'true',
    // Images are never to be sniffed into HTML or script.
    'X-Content-Type-Options': 'nosniff',
  };
  if (config.cors.enabled) headers['Access-Control-Allow-Origin'] = config.cors.origin;
  return headers;
}

/**
 * Security headers for every answer, by what it carries:
 * - JSON and anything else: a CSP that allows nothing and no framing; only this origin may
 *   embed the body (`Cross-Origin-Resource-Policy: same-origin`; CORS reads are unaffected).
 * - Images: any origin may embed them (that is what they are for), and the CSP is the one
 *   GitHub serves raw files with, so a stored SVG opened directly runs no script.
 */
export function securityHeaders(contentType: string | undefined): Record<string, string> {
  const image = !!contentType && contentType.startsWith('image/');
  return {
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': image
      ? "default-src 'none'; style-src 'unsafe-inline'; sandbox"
      : "default-src 'none'; frame-ancestors 'none'; sandbox",
    'Cross-Origin-Resource-Policy': image ? 'cross-origin' : 'same-origin',
  };
}

/** The two sets of {@link securityHeaders}, made once: every answer takes one of them. */
const securityEntries = (contentType: string | undefined) => Object.entries(securityHeaders(contentType)).map(([name, value]) => [name, value, name.toLowerCase()] as const);
const IMAGE_SECURITY = securityEntries('image/');
const OTHER_SECURITY = securityEntries(undefined);

/**
 * Adds the security headers a response does not set itself (a route may choose its own CSP).
 * One pass over the response's headers: it runs on every answer, a small render's included.
 */
export function withSecurityHeaders(response: HttpResponse): HttpResponse {
  let contentType: string | undefined;
  const present: string[] = [];
  for (const name in response.headers) {
    const lower = name.toLowerCase();
    if (lower === 'content-type') contentType ??= response.headers[name];
    present.push(lower);
  }
  let headers: Record<string, string> | undefined;
  for (const [name, value, lower] of contentType?.startsWith('image/') ? IMAGE_SECURITY : OTHER_SECURITY) {
    if (!present.includes(lower)) (headers ??= { ...response.headers })[name] = value;
  }
  return headers ? { ...response, headers } : response;
}

/** Names listed at most, and characters kept of each: the header stays far below any proxy's limit. */
const MAX_IGNORED_NAMES = 16;
const MAX_IGNORED_NAME_LENGTH = 64;

/**
 * `X-Shutter-Ignored-Edits`: the edit names a request sent that SIH would skip, comma-separated.
 * They are the client's own strings: anything outside visible ASCII (CR/LF, NUL, U+0100 and
 * above, which Node refuses in a header), `%` and `,` is percent-encoded as UTF-8, so the value
 * is always a valid header and `decodeURIComponent` gives each name back.
 *
 * @example ignoredEditsHeader(['sepia', 'a\r\nb']) // 'sepia,a%0D%0Ab'
 */
export function ignoredEditsHeader(names: readonly string[]): string {
  const shown = names.slice(0, MAX_IGNORED_NAMES).map((name) =>
    // Byte by byte: a lone surrogate (valid in JSON) becomes U+FFFD's bytes where encodeURIComponent would throw.
    [...Buffer.from(name.slice(0, MAX_IGNORED_NAME_LENGTH))].map((byte) => (byte > 0x20 && byte < 0x7f && byte !== 0x25 && byte !== 0x2c ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join(''),
  );
  return names.length > MAX_IGNORED_NAMES ? `${shown.join(',')},...` : shown.join(',');
}

/** SIH's error body `{"status","code","message"}`; client errors are cached briefly, server errors never. */
export function errorResponse(error: unknown, config: Pick<Config, 'cors'>): HttpResponse {
  const failure: ShutterError = toShutterError(error);
  const headers: Record<string, string> = {
    ...baseHeaders(config),
    'Cache-Control': failure.status < 500 ? DEFAULTS.errorCacheControl : 'no-store',
  };
  // A passing fault (overload, an origin that did not answer: 502/503/504) may be retried soon.
  if (failure.status === 503 || failure instanceof TransientError) headers['Retry-After'] = String(DEFAULTS.retryAfterSeconds);
  return json(failure.status, failure.toJSON(), headers);
}

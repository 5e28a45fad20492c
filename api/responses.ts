/** Headers every answer shares (CORS as SIH sets them, plus safe defaults), and error answers. */
import type { Config } from '../core/config.js';
import { toShutterError, type ShutterError } from '../core/errors.js';
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

/** SIH's error body `{"status","code","message"}`; client errors are cached briefly, server errors never. */
export function errorResponse(error: unknown, config: Pick<Config, 'cors'>): HttpResponse {
  const failure: ShutterError = toShutterError(error);
  const headers: Record<string, string> = {
    ...baseHeaders(config),
    'Cache-Control': failure.status < 500 ? DEFAULTS.errorCacheControl : 'no-store',
  };
  if (failure.status === 503) headers['Retry-After'] = '1';
  return json(failure.status, failure.toJSON(), headers);
}

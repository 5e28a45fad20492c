/**
 * The local server's and the Lambda's routes, in one table. Image URLs are the fallback: any
 * GET/HEAD no other route claims is an image request, as in SIH. Every answer leaves with the
 * security headers (`responses.ts`), whichever route made it.
 */
import { RequestError } from '../core/errors.js';
import { json, type HttpRequest, type HttpResponse } from './http.js';
import { errorResponse, withSecurityHeaders } from './responses.js';
import type { Config } from '../core/config.js';

export interface Route {
  method: string | string[];
  /** A path prefix (`/api/`) or a pattern whose groups are passed to the handler. */
  path: string | RegExp;
  handle: (request: HttpRequest, params: string[]) => Promise<HttpResponse>;
}

export function createRouter(
  routes: Route[],
  fallback: (request: HttpRequest) => Promise<HttpResponse>,
  config: Pick<Config, 'cors'>,
): (request: HttpRequest) => Promise<HttpResponse> {
  return async function route(request) {
    return withSecurityHeaders(await dispatch(request));
  };

  async function dispatch(request: HttpRequest): Promise<HttpResponse> {
    try {
      if (request.method === 'OPTIONS') {
        return { status: 204, headers: { 'Access-Control-Allow-Methods': 'GET, HEAD, PUT, POST, OPTIONS', 'Access-Control-Allow-Headers': 'Content-Type, Authorization, If-None-Match', ...(config.cors.enabled ? { 'Access-Control-Allow-Origin': config.cors.origin } : {}) } };
      }
      for (const candidate of routes) {
        const params = matchPath(candidate.path, request.path);
        if (!params) continue;
        const methods = Array.isArray(candidate.method) ? candidate.method : [candidate.method];
        if (!methods.includes(request.method)) continue;
        return await candidate.handle(request, params);
      }
      if (request.method === 'GET' || request.method === 'HEAD') return await fallback(request);
      throw new RequestError('MethodNotAllowed', `${request.method} is not supported on ${request.path}.`, 405);
    } catch (error) {
      return errorResponse(error, config);
    }
  }
}

function matchPath(path: string | RegExp, actual: string): string[] | undefined {
  if (typeof path === 'string') return actual === path || (path.endsWith('/') && actual.startsWith(path)) ? [] : undefined;
  const match = path.exec(actual);
  return match ? match.slice(1) : undefined;
}

export const healthRoute = (isReady: () => boolean): Route => ({
  method: ['GET', 'HEAD'],
  path: '/health',
  handle: async () => (isReady() ? json(200, { status: 'ok' }) : json(503, { status: 'starting' })),
});

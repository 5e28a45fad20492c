/**
 * The local server's and the Lambda's routes, in one table. Image URLs are the fallback: any
 * GET/HEAD no other route claims is an image request, as in SIH. Every answer leaves with the
 * security headers (`responses.ts`), whichever route made it.
 */
import { randomUUID } from 'node:crypto';
import { RequestError } from '../core/errors.js';
import { logger } from '../core/observability/logger.js';
import { httpBytesOut, httpDuration, httpRequests, imageCacheHits } from '../core/observability/metrics.js';
import { bodyBytes, clientAddressOf, json, type HttpRequest, type HttpResponse } from './http.js';
import { errorResponse, withSecurityHeaders } from './responses.js';
import type { Config } from '../core/config.js';

export interface Route {
  /** A short name for metrics and logs (`health`, `meta`, `executions`, ...). */
  name: string;
  method: string | string[];
  /** A path prefix (`/api/`) or a pattern whose groups are passed to the handler. */
  path: string | RegExp;
  handle: (request: HttpRequest, params: string[]) => Promise<HttpResponse>;
}

/** The route label of a request no route claimed (a POST to an unknown path, say). */
export const UNROUTED = 'unrouted';

export function createRouter(
  routes: Route[],
  fallback: (request: HttpRequest) => Promise<HttpResponse>,
  config: Pick<Config, 'cors' | 'trustProxyHops'>,
): (request: HttpRequest) => Promise<HttpResponse> {
  // Read once: each route with the literal start of every path it takes, so a path (an image's,
  // most of all) skips the routes it cannot be without running their patterns.
  const table = routes.map((route) => ({ route, prefix: literalPrefix(route.path), methods: Array.isArray(route.method) ? route.method : [route.method] }));
  async function dispatch(request: HttpRequest): Promise<{ name: string; response: HttpResponse }> {
    // The route an error is counted under: the one that failed, not a catch-all "error" label.
    let name = UNROUTED;
    try {
      if (request.method === 'OPTIONS') {
        return {
          name: 'preflight',
          response: {
            status: 204,
            headers: {
              'Access-Control-Allow-Methods': 'GET, HEAD, PUT, POST, OPTIONS',
              'Access-Control-Allow-Headers': 'Content-Type, Authorization, If-None-Match',
              ...(config.cors.enabled ? { 'Access-Control-Allow-Origin': config.cors.origin } : {}),
            },
          },
        };
      }
      for (const { route: candidate, prefix, methods } of table) {
        if (!request.path.startsWith(prefix)) continue;
        const params = matchPath(candidate.path, request.path);
        if (!params) continue;
        if (name === UNROUTED) name = candidate.name; // a known path with another method: its 405 counts there
        if (!methods.includes(request.method)) continue;
        name = candidate.name;
        return { name, response: await candidate.handle(request, params) };
      }
      if (request.method === 'GET' || request.method === 'HEAD') {
        name = 'image';
        return { name, response: await fallback(request) };
      }
      throw new RequestError('MethodNotAllowed', `${request.method} is not supported on ${request.path}.`, 405);
    } catch (error) {
      return { name, response: errorResponse(error, config) };
    }
  }

  return async function route(request) {
    const started = performance.now();
    const requestId = request.requestId ?? randomUUID();
    // Resolved once, here: the access log and the console's throttle see the same address.
    const client = clientAddressOf(request, config.trustProxyHops);
    const { name, response } = await dispatch({ ...request, requestId, ...(client ? { client } : {}) });
    response.headers['X-Request-Id'] = requestId;
    // The Lambda adapter's EMF line reads the route name here, so CloudWatch and /metrics agree.
    response.meta = { ...response.meta, route: name };
    const seconds = (performance.now() - started) / 1000;
    const bytes = bodyBytes(response);
    httpRequests.inc({ route: name, door: response.meta?.door ?? '', status: String(response.status) });
    httpDuration.observe({ route: name }, seconds);
    httpBytesOut.inc({ route: name }, bytes);
    if (response.meta?.cache) imageCacheHits.inc({ kind: response.meta.cache });
    logger.info(
      {
        requestId,
        client,
        method: request.method,
        path: request.path,
        route: name,
        door: response.meta?.door,
        status: response.status,
        ms: Math.round(seconds * 1000 * 10) / 10,
        bytes,
      },
      'request',
    );
    return withSecurityHeaders(response);
  };
}

/**
 * What every path a route takes starts with: its path when a string (exact or a prefix), or the
 * characters a pattern anchored at `^` spells out before its first special one; '' when unsure
 * (no anchor, an alternation, flags that change what `^` or a letter matches).
 *
 * @example literalPrefix(/^\/api\/analytics\/?$/) // '/api/analytics' (the last "/" is optional)
 */
export function literalPrefix(path: string | RegExp): string {
  if (typeof path === 'string') return path;
  const { source, flags } = path;
  if (!source.startsWith('^') || source.includes('|') || /[im]/.test(flags)) return '';
  let prefix = '';
  for (let i = 1; i < source.length; i++) {
    let char = source[i]!;
    if (char === '\\') {
      const next = source[i + 1];
      // \d, \w, \b, \1, \u0041...: a class, an assertion or a code, not the character itself.
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break;
      char = next;
      i++;
    } else if ('.*+?()[]{}^$'.includes(char)) {
      // A quantifier makes the character before it optional or repeated: not part of every match.
      if ('*+?{'.includes(char)) prefix = prefix.slice(0, -1);
      break;
    }
    prefix += char;
  }
  return prefix;
}

function matchPath(path: string | RegExp, actual: string): string[] | undefined {
  if (typeof path === 'string') return actual === path || (path.endsWith('/') && actual.startsWith(path)) ? [] : undefined;
  const match = path.exec(actual);
  return match ? match.slice(1) : undefined;
}

export const healthRoute = (isReady: () => boolean): Route => ({
  name: 'health',
  method: ['GET', 'HEAD'],
  path: '/health',
  handle: async () => (isReady() ? json(200, { status: 'ok' }) : json(503, { status: 'starting' })),
});

/**
 * Prometheus' text format. The local server has loaded the registry at start; a Lambda loads it
 * only here, if ever asked (it reports by EMF lines), and counts from then on.
 */
export const metricsRoute: Route = {
  name: 'metrics',
  method: 'GET',
  path: '/metrics',
  handle: async () => {
    const { registry } = await import('../core/observability/prometheus.js');
    return { status: 200, headers: { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }, body: await registry.metrics() };
  },
};

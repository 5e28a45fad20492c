/**
 * The local HTTP server: a thin `node:http` adapter around the router. No logic lives here.
 */
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HttpRequest, HttpResponse } from './http.js';

export function toHttpRequest(incoming: http.IncomingMessage): HttpRequest {
  const url = incoming.url ?? '/';
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const query: Record<string, string> = {};
  if (queryStart !== -1) {
    for (const [name, value] of new URLSearchParams(url.slice(queryStart + 1))) query[name] = value;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const hasBody = incoming.method !== 'GET' && incoming.method !== 'HEAD';
  return { method: incoming.method ?? 'GET', path, query, headers, ...(hasBody ? { body: incoming } : {}) };
}

export async function writeHttpResponse(
  outgoing: http.ServerResponse,
  response: HttpResponse,
  method: string,
): Promise<void> {
  const { body } = response;
  const headers: Record<string, string | number> = { ...response.headers };
  if (Buffer.isBuffer(body) || typeof body === 'string') headers['Content-Length'] = Buffer.byteLength(body);
  outgoing.writeHead(response.status, headers);
  if (method === 'HEAD' || body === undefined || response.status === 304) {
    if (body instanceof Readable) body.destroy();
    outgoing.end();
    return;
  }
  if (body instanceof Readable) {
    // A source that fails mid-stream (file gone, S3 reset) aborts the response instead of hanging it.
    await pipeline(body, outgoing).catch(() => outgoing.destroy());
  } else outgoing.end(body);
}

export interface LocalServer {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

/** Starts listening; resolves once the port is bound. Port 0 picks a free port (tests). */
export async function startServer(
  handle: (request: HttpRequest) => Promise<HttpResponse>,
  options: { port: number; host?: string | undefined },
): Promise<LocalServer> {
  const server = http.createServer((incoming, outgoing) => {
    const request = toHttpRequest(incoming);
    handle(request)
      .then((response) => writeHttpResponse(outgoing, response, request.method))
      .catch((error: unknown) => {
        console.error(JSON.stringify({ level: 'error', msg: 'unhandled', error: String(error) }));
        if (!outgoing.headersSent) outgoing.writeHead(500, { 'Content-Type': 'application/json' });
        outgoing.end(JSON.stringify({ status: 500, code: 'InternalError', message: 'Internal error. Please contact the system administrator.' }));
      });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

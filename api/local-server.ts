/**
 * The local HTTP server: a thin `node:http` adapter around the router. No image logic lives
 * here; what does is the transport's own care: timeouts on slow clients, a JSON answer to
 * malformed HTTP, and a graceful close that lets in-flight requests finish.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { LIMITS } from '../core/limits.js';
import { http } from '../core/node-http.js';
import { pipeline } from 'node:stream/promises';
import type { HttpRequest, HttpResponse } from './http.js';
import { securityHeaders } from './responses.js';

export function toHttpRequest(incoming: IncomingMessage, signal?: AbortSignal): HttpRequest {
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
  const peer = incoming.socket.remoteAddress;
  return { method: incoming.method ?? 'GET', path, query, headers, ...(hasBody ? { body: incoming } : {}), ...(signal ? { signal } : {}), ...(peer ? { peer } : {}) };
}

export async function writeHttpResponse(
  outgoing: ServerResponse,
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
  server: Server;
  url: string;
  /** Requests being answered right now. */
  readonly inFlight: number;
  /**
   * Stops accepting connections, lets in-flight requests finish (their connections then close),
   * and resolves once all are done, or after `graceMs`, when the rest are cut.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface ServerOptions {
  port: number;
  host?: string | undefined;
  /** How long a client may take to send a whole request (slow-loris guard); defaults to the request timeout. */
  requestTimeoutMs?: number;
}

const INTERNAL_ERROR = JSON.stringify({ status: 500, code: 'InternalError', message: 'Internal error. Please contact the system administrator.' });

/** Starts listening; resolves once the port is bound. Port 0 picks a free port (tests). */
export async function startServer(
  handle: (request: HttpRequest) => Promise<HttpResponse>,
  options: ServerOptions,
): Promise<LocalServer> {
  let inFlight = 0;
  let closing = false;
  const drained = new Set<() => void>();
  const requestTimeoutMs = options.requestTimeoutMs ?? LIMITS.requestTimeoutMs;
  // Node checks request timeouts on this interval (30 s by default, longer than the timeout itself).
  const connectionsCheckingInterval = Math.min(30_000, Math.max(250, Math.floor(requestTimeoutMs / 4)));
  const server = http.createServer({ connectionsCheckingInterval }, (incoming, outgoing) => {
    inFlight++;
    const aborted = new AbortController();
    outgoing.once('close', () => {
      if (!outgoing.writableFinished) aborted.abort(new Error('the client went away'));
      inFlight--;
      if (inFlight === 0) for (const resolve of drained) resolve();
    });
    const request = toHttpRequest(incoming, aborted.signal);
    handle(request)
      .then((response) => {
        // While closing, finish what is in flight but let each connection end after its answer.
        if (closing) outgoing.setHeader('Connection', 'close');
        return writeHttpResponse(outgoing, response, request.method);
      })
      .catch((error: unknown) => {
        console.error(JSON.stringify({ level: 'error', msg: 'unhandled', error: String(error) }));
        if (!outgoing.headersSent) outgoing.writeHead(500, { 'Content-Type': 'application/json', ...securityHeaders('application/json') });
        outgoing.end(INTERNAL_ERROR);
      });
  });
  server.keepAliveTimeout = 65_000;
  // Slow clients: the whole request must arrive within the request timeout, its headers sooner.
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = Math.min(server.requestTimeout, 20_000);
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    server,
    url: `http://127.0.0.1:${port}`,
    get inFlight() {
      return inFlight;
    },
    async close({ graceMs = requestTimeoutMs + 1000 } = {}) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => drained.add(resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
        ]);
        clearTimeout(timer);
      }
      // Connections whose last answer went out are idle now; anything left past the grace is cut.
      server.closeIdleConnections();
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * Malformed HTTP never reaches the router: answer it as the router would (JSON error, stable
 * code, security headers) instead of Node's bare 400, and close the connection.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'Request::HeadersTooLarge', 'The request headers are too large.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'Request::Timeout', 'The request was not received in time.']
        : [400, 'Bad Request', 'Request::Malformed', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ status, code, message });
  const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close', ...securityHeaders('application/json') };
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n${body}`);
}

import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { RequestError } from '../core/errors.js';

/** A transport-free HTTP request: what the Lambda adapter and the local server both produce. */
export interface HttpRequest {
  method: string;
  /** The path as received, still percent-encoded, with its leading slash. */
  path: string;
  /** Decoded query parameters; the last value wins when a name repeats. */
  query: Record<string, string>;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body?: Buffer | Readable;
  /** An id for logs and traces, from the platform when it has one. */
  requestId?: string;
  /** Aborts when the client goes away, so the work for it can stop. */
  signal?: AbortSignal;
  /** Who the console's authentication let in (`/api/` routes only). */
  operator?: string;
  /** The address of the connection's peer, as the transport saw it (the socket; API Gateway's source IP). */
  peer?: string;
  /** The client's address, set by the router: the peer, or under TRUST_PROXY_HOPS what the trusted proxies say (see {@link clientAddressOf}). */
  client?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string | Readable;
  /** Facts for logs and metrics (which route answered, which door, served from cache); never sent to the client. */
  meta?: { route?: string; door?: string; cache?: 'not-modified' | 'result-cache' | 'pass-through' };
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(value),
  };
}

/** Bytes of a response's body: what it holds, or for a stream its Content-Length (0 when unknown). */
export function bodyBytes(response: HttpResponse): number {
  const { body } = response;
  if (body === undefined) return 0;
  if (typeof body === 'string' || Buffer.isBuffer(body)) return Buffer.byteLength(body);
  return Number(response.headers['Content-Length']) || 0;
}

/** Reads a header by its case-insensitive name. */
export function header(request: HttpRequest, name: string): string | undefined {
  return request.headers[name.toLowerCase()];
}

/**
 * A percent-encoded route parameter (a bucket, key, execution or workflow name), decoded. A
 * malformed escape (`%E0%A4%A`, a lone `%`) is the client's mistake: a 400 with a stable code,
 * never the URIError's 500.
 */
export function decodePathParam(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new RequestError('Request::InvalidEncoding', `The ${what} in the path is not valid percent-encoded UTF-8.`);
  }
}

/**
 * The client's address. With no trusted proxy (`hops` 0, the default) it is the connection's
 * peer: X-Forwarded-For is anyone's to write. Behind `hops` proxies that each append the address
 * they were reached from, it is the entry `hops` from the right; entries further left were
 * written by the client and are ignored. Anything but an IP address there is ignored too.
 */
export function clientAddressOf(request: HttpRequest, hops: number): string | undefined {
  if (hops > 0) {
    const forwarded = (header(request, 'x-forwarded-for') ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
    const entry = forwarded[Math.max(0, forwarded.length - hops)];
    if (entry && isIP(entry)) return entry;
  }
  return request.peer;
}

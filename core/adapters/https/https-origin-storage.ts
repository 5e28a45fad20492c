/**
 * Remote origins as read-only storage: `bucket` is an origin (`https://host[:port]`), `key` the
 * path on it. SSRF-safe by construction:
 * - the host is resolved once, every address it resolves to must be public (see
 *   `public-address.ts`) unless private origins are allowed (tests), and the connection is made
 *   to that checked address (a custom `lookup`), so DNS cannot rebind between check and connect;
 *   TLS still verifies the certificate against the host name (the system's CA store plus
 *   `NODE_EXTRA_CA_CERTS`);
 * - redirects are followed only within the same origin, a few at most;
 * - the body is bounded while it streams (`maxBytes`) and the whole fetch by a deadline;
 * - the content type is sniffed from the bytes, never taken from the origin's header.
 * Which origins may be asked at all is the allow-list's (`SOURCE_URLS`), checked before this.
 */
import { createHash } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { IncomingMessage } from 'node:http';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { http, https } from '../../node-http.js';
import { AccessError, ImageError, NotFoundError, TransientError } from '../../errors.js';
import { contentTypeOf, detectImageType } from '../../image-type.js';
import { isRemoteOrigin } from '../../origins.js';
import type { ObjectInfo, Storage, StoredObject } from '../../ports/storage.js';
import { isPublicAddress } from './public-address.js';

export interface HttpsOriginOptions {
  /** Deadline for one fetch, redirects included. */
  timeoutMs: number;
  /** Largest body accepted when the caller sets no `maxBytes`. */
  maxBytes: number;
  /** Allow loopback and private addresses (tests, or an origin on the same private network on purpose). */
  allowPrivate?: boolean;
  /** Resolves a host name to its addresses; the system resolver by default (tests inject one). */
  resolve?: (host: string) => Promise<Array<{ address: string; family: number }>>;
  /** Extra TLS options (tests trust their own CA here; production uses the system store). */
  tls?: Pick<ConnectionOptions, 'ca'>;
}

/** Same-origin redirects followed at most: a CDN's trailing-slash or canonical-path hop, never a chain. */
const MAX_REDIRECTS = 3;
const UNREACHABLE = 'Origin::Unreachable';

export class HttpsOriginStorage implements Storage {
  private readonly resolve: NonNullable<HttpsOriginOptions['resolve']>;

  constructor(private readonly options: HttpsOriginOptions) {
    this.resolve = options.resolve ?? ((host) => dnsLookup(host, { all: true, verbatim: true }));
  }

  async get(origin: string, path: string, options: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<StoredObject> {
    const maxBytes = options.maxBytes ?? this.options.maxBytes;
    const { response, signal } = await this.fetch('GET', origin, path, options.signal);
    try {
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
      const body = await readBounded(response, maxBytes, signal);
      return { ...infoOf(path, response, body), body };
    } finally {
      response.destroy();
    }
  }

  async head(origin: string, path: string): Promise<ObjectInfo | undefined> {
    try {
      const { response } = await this.fetch('HEAD', origin, path);
      response.destroy();
      // Without a validator the version is known only from the bytes: fetch them.
      if (!response.headers.etag && !response.headers['last-modified']) {
        const { body: _body, ...info } = await this.get(origin, path);
        return info;
      }
      return infoOf(path, response);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async openRead(origin: string, path: string): Promise<{ info: ObjectInfo; stream: Readable }> {
    const { body, ...info } = await this.get(origin, path);
    return { info, stream: Readable.from([body]) };
  }

  put: Storage['put'] = () => Promise.reject(readOnly());
  list: Storage['list'] = () => Promise.reject(readOnly());
  delete: Storage['delete'] = () => Promise.reject(readOnly());

  /** A 200 response for `origin` + `path`, after same-origin redirects; every failure mapped to a typed error. */
  private async fetch(method: 'GET' | 'HEAD', origin: string, path: string, callerSignal?: AbortSignal) {
    if (!isRemoteOrigin(origin)) throw new AccessError('Origin::NotAllowed', 'The image origin is not allowed.');
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline;
    let url = new URL(path.startsWith('/') ? path : `/${path}`, origin);
    for (let hop = 0; ; hop++) {
      const response = await this.request(method, url, signal).catch((error: unknown) => {
        throw deadline.aborted ? timedOut(error) : error;
      });
      const status = response.statusCode ?? 0;
      if (status === 200) return { response, signal };
      response.destroy();
      if ([301, 302, 303, 307, 308].includes(status) && response.headers.location) {
        const next = new URL(response.headers.location, url);
        if (next.origin !== url.origin) throw new AccessError('Origin::NotAllowed', 'The image origin redirected to another origin, which is not followed.');
        if (hop >= MAX_REDIRECTS) throw new TransientError(UNREACHABLE, 'The image origin redirected too many times.', 502);
        url = next;
        continue;
      }
      if (status === 404 || status === 410) throw new NotFoundError('NoSuchKey', 'The image you specified could not be found at its origin.');
      if (status === 401 || status === 403) throw new AccessError('Origin::Forbidden', 'The image origin refused access to the image.');
      throw new TransientError(UNREACHABLE, `The image origin answered ${status}.`, 502);
    }
  }

  private async request(method: string, url: URL, signal: AbortSignal): Promise<IncomingMessage> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = await this.resolve(host).catch((error: unknown) => {
      throw new TransientError(UNREACHABLE, 'The image origin could not be resolved.', 502, { cause: error });
    });
    if (addresses.length === 0) throw new TransientError(UNREACHABLE, 'The image origin could not be resolved.', 502);
    if (!this.options.allowPrivate && !addresses.every(({ address }) => isPublicAddress(address))) {
      throw new AccessError('Origin::NotAllowed', 'The image origin resolves to an address that is not public.');
    }
    const [pinned] = addresses as [{ address: string; family: number }];
    // Connect to the address just checked, whatever the resolver would answer now.
    const lookup: LookupFunction = (_hostname, options, callback) => {
      if (options.all) (callback as (error: null, addresses: Array<{ address: string; family: number }>) => void)(null, [pinned]);
      else callback(null, pinned.address, pinned.family);
    };
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = client.request(
        url,
        {
          method,
          lookup,
          signal,
          agent: false,
          headers: { 'user-agent': 'shutter', accept: 'image/*' },
          ...(url.protocol === 'https:' ? this.options.tls : {}),
        },
        resolve,
      );
      request.on('error', (error) => reject(signal.aborted ? error : new TransientError(UNREACHABLE, 'The image origin could not be reached.', 502, { cause: error })));
      request.end();
    });
  }
}

async function readBounded(response: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(chunk);
    }
  } catch (error) {
    if (signal.aborted && !(error instanceof ImageError)) throw timedOut(error);
    if (error instanceof ImageError) throw error;
    throw new TransientError(UNREACHABLE, 'The image origin closed the connection early.', 502, { cause: error });
  }
  return Buffer.concat(chunks, size);
}

function infoOf(path: string, response: IncomingMessage, body?: Buffer): ObjectInfo {
  const { etag, 'last-modified': lastModified, 'cache-control': cacheControl } = response.headers;
  const modified = lastModified ? new Date(lastModified) : undefined;
  const type = body ? detectImageType(body) : undefined;
  return {
    key: path,
    size: body?.length ?? (Number(response.headers['content-length']) || 0),
    lastModified: modified && !Number.isNaN(modified.getTime()) ? modified : new Date(),
    // The origin's validator, or the bytes' hash: either changes whenever the image does.
    etag: `"${createHash('sha256').update(etag ?? lastModified ?? body ?? '').digest('hex').slice(0, 32)}"`,
    // Sniffed, never declared: an origin cannot make shutter serve HTML as an image.
    contentType: type ? contentTypeOf(type) : 'application/octet-stream',
    ...(cacheControl ? { cacheControl } : {}),
  };
}

function tooLarge(maxBytes: number): ImageError {
  return new ImageError('Origin::TooLarge', `The image at its origin is larger than ${maxBytes} bytes.`, 413);
}

function timedOut(cause: unknown): TransientError {
  return new TransientError(UNREACHABLE, 'The image origin did not answer in time.', 504, { cause });
}

function readOnly(): AccessError {
  return new AccessError('Origin::ReadOnly', 'A remote origin is read-only.');
}

/**
 * S3's GetObject, HeadObject and PutObject (of a body in memory) without the S3 client, for the
 * image Lambda's cold start: `@aws-sdk/client-s3` costs ~0.8× sharp's own load time at every init
 * (its schemas for all of S3's operations, the endpoint rules, every protocol codec), while each of
 * these needs a URL, a SigV4 signature and one HTTP request. Every image request reads S3, and its
 * access record is written to the lake (a small PUT): with these, the image Lambda never loads the
 * client unless it stores a streamed body or lists or deletes. The signature is `aws4`'s (a small, dependency-free signer; the
 * SDK's own, `@smithy/signature-v4`, pulls `@smithy/core`'s barrels onto the start path: ~130 KB
 * once the bundle also holds the S3 client for writes), the credentials those Lambda puts in the
 * environment (read as the SDK's `fromEnv` reads them) or else the SDK's default chain, loaded then.
 *
 * The answers are the S3 client's: the same errors through `s3Error` (NoSuchKey → 404, 403 →
 * CannotAccessBucket, ...), the same retries (the SDK's standard mode: `LIMITS.storageMaxAttempts`
 * on throttling, 5xx and network failures, exponential backoff with jitter), the same timeouts
 * and keep-alive connections. Streamed writes (multipart), lists and deletes stay with the S3
 * client (`s3-storage.ts`).
 * test/core/adapters/s3-signed-requests.test.ts holds the two to the same answers on moto_server.
 */
import aws4 from 'aws4';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { NotFoundError } from '../../errors.js';
import { LIMITS } from '../../limits.js';
import { sourceTooLarge, type ObjectInfo, type PutOptions, type Storage, type StoredObject } from '../../ports/storage.js';
import { s3Error, type S3Failure } from './s3-errors.js';
import { http, https } from '../../node-http.js';
import { setTimeout as delay } from 'node:timers/promises';

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}


/** One request for one object; `upload` for a PUT. */
interface ObjectRequest {
  method: 'GET' | 'HEAD' | 'PUT';
  bucket: string;
  key: string;
  signal?: AbortSignal | undefined;
  upload?: { body: Buffer; headers: Record<string, string> };
}

export interface S3SignedRequestsOptions {
  region: string;
  /** An S3-compatible server (moto_server, MinIO): addressed path-style, as `s3-client.ts` does. */
  endpoint?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  /** Default: the environment's (Lambda's role), else the SDK's default chain (profiles, SSO, IMDS...). */
  credentials?: Credentials | (() => Promise<Credentials>);
}

/** The reads of the Storage port, and writes of a body already in memory. */
export type SignedS3Operations = Pick<Storage, 'get' | 'head' | 'openRead'> & {
  put(bucket: string, key: string, body: Buffer, options?: PutOptions): Promise<{ etag: string }>;
};

export class S3SignedRequests implements SignedS3Operations {
  private readonly credentials: () => Promise<Credentials>;
  private readonly endpoint: URL | undefined;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  // Keep-alive, as the SDK's request handler: a warm Lambda reuses its connection to S3.
  private readonly agent: InstanceType<typeof http.Agent>;

  constructor(private readonly options: S3SignedRequestsOptions) {
    this.endpoint = options.endpoint ? new URL(options.endpoint) : undefined;
    this.timeoutMs = options.timeoutMs ?? LIMITS.storageTimeoutMs;
    this.maxAttempts = options.maxAttempts ?? LIMITS.storageMaxAttempts;
    this.agent = this.endpoint?.protocol === 'http:' ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true });
    const given = options.credentials;
    this.credentials = typeof given === 'function' ? given : given ? () => Promise.resolve(given) : environmentThenChain();
  }

  async get(bucket: string, key: string, options: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<StoredObject> {
    const response = await this.send({ method: 'GET', bucket, key, signal: options.signal });
    const info = infoFrom(key, response);
    if (options.maxBytes !== undefined && info.size > options.maxBytes) {
      response.destroy();
      throw sourceTooLarge(key, info.size, options.maxBytes);
    }
    try {
      const body = Buffer.concat(await response.toArray());
      options.signal?.throwIfAborted();
      return { ...info, size: body.length, body };
    } catch (error) {
      // An abort mid-body surfaces as a reset socket: name it for what it was.
      throw s3Error(options.signal?.aborted ? { name: 'AbortError', message: 'aborted', cause: error } : failureOf(error), bucket, key);
    }
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    try {
      const response = await this.send({ method: 'HEAD', bucket, key });
      response.resume();
      return infoFrom(key, response);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async openRead(bucket: string, key: string): Promise<{ info: ObjectInfo; stream: Readable }> {
    const response = await this.send({ method: 'GET', bucket, key });
    return { info: infoFrom(key, response), stream: response };
  }

  /** A PutObject of `body` (S3 makes it visible only once whole); its headers are the S3 client's for the same options. */
  async put(bucket: string, key: string, body: Buffer, options: PutOptions = {}): Promise<{ etag: string }> {
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32BE(crc32(body));
    const headers: Record<string, string> = {
      'Content-Length': String(body.length),
      // The S3 client's default (aws4's would be a form encoding), and its CRC32, which S3 checks before it stores.
      'Content-Type': options.contentType ?? 'application/octet-stream',
      'x-amz-checksum-crc32': checksum.toString('base64'),
      ...(options.cacheControl ? { 'Cache-Control': options.cacheControl } : {}),
    };
    for (const [name, value] of Object.entries(options.metadata ?? {})) headers[`x-amz-meta-${name}`] = value;
    const response = await this.send({ method: 'PUT', bucket, key, upload: { body, headers } });
    response.resume();
    return { etag: response.headers.etag ?? '' };
  }

  /** One request, retried as the SDK's standard mode retries: a 2xx answer (body unread) or the project's error. */
  private async send(request: ObjectRequest): Promise<IncomingMessage> {
    const { bucket, key, signal } = request;
    for (let attempt = 1; ; attempt++) {
      let failure: S3Failure;
      try {
        const response = await this.once(request);
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) return response;
        failure = await failureFrom(response);
      } catch (error) {
        failure = failureOf(error);
      }
      if (attempt >= this.maxAttempts || !retryable(failure) || signal?.aborted) throw s3Error(failure, bucket, key);
      await backoff(attempt, failure, signal).catch((error: unknown) => Promise.reject(s3Error(failureOf(error), bucket, key)));
    }
  }

  private async once({ method, bucket, key, signal, upload }: ObjectRequest): Promise<IncomingMessage> {
    const { origin, path } = objectUrl(this.endpoint, this.options.region, bucket, key);
    const port = origin.port ? Number(origin.port) : undefined;
    // For S3, aws4 signs the path as sent, escaped once (SigV4's exception for S3), and the body's SHA-256 (X-Amz-Content-Sha256).
    const signed = aws4.sign(
      { service: 's3', region: this.options.region, method, host: origin.host, path, headers: { ...upload?.headers }, ...(upload ? { body: upload.body } : {}) },
      await this.credentials(),
    );
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = (origin.protocol === 'http:' ? http : https).request({
        method,
        protocol: origin.protocol,
        hostname: origin.hostname,
        ...(port ? { port } : {}),
        path,
        headers: signed.headers,
        agent: this.agent,
        ...(signal ? { signal } : {}),
      });
      // An idle socket (connecting, or a stalled answer or body): the SDK's connection and request timeouts.
      request.setTimeout(this.timeoutMs, () =>
        request.destroy(Object.assign(new Error(`No answer from S3 in ${this.timeoutMs} ms`), { name: 'TimeoutError' })),
      );
      request.on('response', resolve);
      request.on('error', reject);
      request.end(upload?.body);
    });
  }
}

/** The environment's credentials, as the SDK's `fromEnv` reads them (Lambda puts the function role's there); when there are none, the SDK's default provider chain, loaded then (it caches what it finds). */
function environmentThenChain(): () => Promise<Credentials> {
  let chain: Promise<() => Promise<Credentials>> | undefined;
  return async () => {
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = process.env;
    if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    chain ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider());
    return (await chain)();
  };
}

/**
 * Where the object is, as the S3 client addresses it: path-style on a custom endpoint
 * (`s3-client.ts` sets forcePathStyle there), virtual-hosted on AWS when the bucket name allows
 * it (no dots, for TLS), path-style otherwise. Each key segment is escaped as the SDK escapes it,
 * and the path stays a string: a URL would resolve a key's `..` segments.
 */
export function objectUrl(endpoint: URL | undefined, region: string, bucket: string, key: string): { origin: URL; path: string } {
  const keyPath = `/${key.split('/').map(escapeSegment).join('/')}`;
  if (endpoint) return { origin: new URL(endpoint.origin), path: `${endpoint.pathname.replace(/\/$/, '')}/${bucket}${keyPath}` };
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)
    ? { origin: new URL(`https://${bucket}.s3.${region}.${domain}`), path: keyPath }
    : { origin: new URL(`https://s3.${region}.${domain}`), path: `/${bucket}${keyPath}` };
}

const escapeSegment = (segment: string) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** What the S3 client reads from a GetObject or HeadObject answer's headers. */
function infoFrom(key: string, response: IncomingMessage): ObjectInfo {
  const headers = response.headers;
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice('x-amz-meta-'.length)] = value;
  }
  const expires = dateOf(headers.expires);
  return {
    key,
    size: Number(headers['content-length'] ?? 0),
    lastModified: dateOf(headers['last-modified']) ?? new Date(0),
    etag: headers.etag ?? '',
    ...(headers['content-type'] ? { contentType: headers['content-type'] } : {}),
    ...(headers['cache-control'] ? { cacheControl: headers['cache-control'] } : {}),
    ...(expires ? { expires } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
}

/** An HTTP date, or undefined where there is none or it does not parse (as the S3 client leaves `Expires`). */
function dateOf(value: string | undefined): Date | undefined {
  const parsed = value ? new Date(value) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : undefined;
}

/** An error answer: S3's `<Code>` and `<Message>` (a HEAD has no body: the S3 client then names a 404 `NotFound`). */
async function failureFrom(response: IncomingMessage): Promise<S3Failure> {
  const status = response.statusCode ?? 0;
  let body = '';
  // Read to the end (the connection goes back to the pool); S3's error documents are small.
  for await (const chunk of response as AsyncIterable<Buffer>) if (body.length < 64 * 1024) body += chunk.toString('utf8');
  const name = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? (status === 404 ? 'NotFound' : `HTTP ${status}`);
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? name;
  return { name, status, message, cause: Object.assign(new Error(message), { name, status }) };
}

function failureOf(error: unknown): S3Failure {
  const { name = 'Error', message = String(error) } = error as { name?: string; message?: string };
  return { name, message, cause: error };
}

/** The SDK's throttling codes: retried after a longer wait. */
const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled', 'BandwidthLimitExceeded']);

/** What the SDK's standard mode retries: throttling, 5xx (and 429), timeouts and connection failures; never an abort. */
function retryable({ name, status, cause }: S3Failure): boolean {
  if (name === 'AbortError') return false;
  if (THROTTLING.has(name) || name === 'RequestTimeout' || name === 'TimeoutError') return true;
  if (status !== undefined) return status === 429 || status >= 500;
  // No answer at all: the connection failed or was reset (ECONNRESET, ECONNREFUSED, EPIPE...).
  return typeof (cause as { code?: unknown } | undefined)?.code === 'string';
}

/** The SDK's backoff: a random wait under 2^attempt × 100 ms (× 500 ms when throttled), at most 20 s. */
function backoff(attempt: number, failure: S3Failure, signal?: AbortSignal): Promise<void> {
  const base = THROTTLING.has(failure.name) ? 500 : 100;
  const ms = Math.floor(Math.min(20_000, Math.random() * 2 ** attempt * base));
  // An abort ends the wait with its own reason, as the request it interrupts would.
  return delay(ms, undefined, signal ? { signal } : {}).catch((error: unknown) => Promise.reject(signal?.aborted ? (signal.reason as Error) : error));
}

/**
 * The on-demand image path, free of transport: `(HttpRequest) → HttpResponse`. The Lambda
 * adapter and the local server both call it.
 *
 * Order: signature and expiry → decode the door → (If-None-Match → 304 without reading the
 * image) → read the source → pass through or render → headers. Errors become SIH's JSON body or,
 * when configured, SIH's fallback image with the error's status.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../core/config.js';
import { overloaded, Semaphore } from '../core/concurrency.js';
import { toShutterError, type ShutterError } from '../core/errors.js';
import { contentTypeOf, detectImageType } from '../core/image-type.js';
import { DEFAULTS } from '../core/limits.js';
import type { Analyzer } from '../core/ports/analyzer.js';
import type { Secrets } from '../core/ports/secrets.js';
import type { ObjectInfo, Storage } from '../core/ports/storage.js';
import type { PresetCatalog } from '../core/presets.js';
import type { RenderDeps } from '../core/pipeline/render-context.js';
import { isPassThrough, renderImage } from '../core/pipeline/render-image.js';
import { inspectImage } from '../core/pipeline/sharp-factory.js';
import { withDeadline } from './deadline.js';
import { decodeImageRequest } from './decode-request.js';
import { header, type HttpRequest, type HttpResponse } from './http.js';
import { chooseFormat, negotiation } from './negotiate-format.js';
import { baseHeaders, errorResponse } from './responses.js';
import { secondsToExpiry, signatureGuard } from './signature.js';

export interface ImageServiceDeps {
  config: Readonly<Config>;
  storage: Storage;
  analyzer: Analyzer;
  secrets: Secrets;
  presets: Readonly<PresetCatalog>;
  now?: () => Date;
}

/** Bump when a change to rendering should invalidate every ETag issued before. */
const RENDER_VERSION = '1';

export type ImageHandler = (request: HttpRequest) => Promise<HttpResponse>;

export function createImageHandler(deps: ImageServiceDeps): ImageHandler {
  const { config, storage } = deps;
  const now = deps.now ?? (() => new Date());
  const renderDeps: RenderDeps = {
    storage,
    analyzer: deps.analyzer,
    limits: config.limits,
    allowedBuckets: config.sourceBuckets,
  };
  // Admission bounds the requests holding a source in memory (rendering or waiting to); beyond it
  // a request is shed at once with 503 + Retry-After. Inside, renders take turns on the cores.
  const admission = new Semaphore(config.maxConcurrentRenders + config.maxQueuedRenders, 0);
  const renders = new Semaphore(config.maxConcurrentRenders);
  const checkSignature = signatureGuard(config, deps.secrets);

  async function handle(http: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
    // Under overload, shed before spending anything on the request: every millisecond of the
    // event loop spent refusing is taken from the renders in flight.
    if (admission.saturated) throw overloaded();
    await checkSignature(http.path, http.query);
    const expiresIn = secondsToExpiry(http.query, now());
    const { request, ignored } = decodeImageRequest(http.path, http.query, config, deps.presets);
    const negotiated = negotiation(request, header(http, 'accept'), config);
    const { bucket, key: objectKey } = request.source;

    const etagOf = (source: ObjectInfo) =>
      `"${createHash('sha256')
        .update(JSON.stringify([RENDER_VERSION, source.etag, request, negotiated.preference]))
        .digest('base64url')
        .slice(0, 32)}"`;
    const headersFor = (source: ObjectInfo, contentType: string): Record<string, string> => {
      const headers: Record<string, string> = {
        ...baseHeaders(config),
        'Cache-Control': source.cacheControl ?? DEFAULTS.cacheControl,
        ...request.headers,
        'Content-Type': contentType,
        'Last-Modified': source.lastModified.toUTCString(),
        ETag: etagOf(source),
      };
      if (source.expires) headers.Expires = source.expires.toUTCString();
      if (expiresIn !== undefined) headers['Cache-Control'] = `max-age=${expiresIn},public`;
      if (negotiated.varies) headers.Vary = 'Accept';
      if (ignored.length) headers['X-Shutter-Ignored-Edits'] = ignored.join(',');
      return headers;
    };

    const ifNoneMatch = header(http, 'if-none-match');
    if (ifNoneMatch) {
      const info = await storage.head(bucket, objectKey);
      if (info && matchesEtag(ifNoneMatch, etagOf(info))) {
        const { 'Content-Type': _type, ...headers } = headersFor(info, '');
        return { status: 304, headers };
      }
    }

    return admission.run(async () => {
      const source = await storage.get(bucket, objectKey, { maxBytes: config.limits.maxSourceBytes, signal });
      if (isPassThrough(request) && negotiated.preference.length === 0) {
        return { status: 200, headers: headersFor(source, storedContentType(source)), body: source.body };
      }
      const info = await inspectImage(source.body, config.limits);
      const format = chooseFormat(negotiated, request, info.pages > 1 && request.edits.animated !== false);
      const effective = format === request.output.format ? request : { ...request, output: { ...request.output, format } };
      const rendered = await renders.run(() => {
        // A request whose deadline passed while it waited is not worth rendering any more.
        signal.throwIfAborted();
        return renderImage(source.body, effective, renderDeps, { source: info, signal });
      });
      return { status: 200, headers: headersFor(source, contentTypeOf(rendered.format)), body: rendered.data };
    });
  }

  return async function handleImage(http: HttpRequest): Promise<HttpResponse> {
    try {
      return await withDeadline(config.limits.requestTimeoutMs, http.signal, (signal) => handle(http, signal));
    } catch (error) {
      const failure = toShutterError(error);
      logFailure(failure, error, http);
      if (config.fallbackImage) {
        const fallback = await storage.get(config.fallbackImage.bucket, config.fallbackImage.key).catch(() => undefined);
        if (fallback) {
          return {
            status: failure.status,
            headers: {
              ...baseHeaders(config),
              'Content-Type': storedContentType(fallback),
              'Cache-Control': fallback.cacheControl ?? DEFAULTS.cacheControl,
              'Last-Modified': fallback.lastModified.toUTCString(),
            },
            body: fallback.body,
          };
        }
      }
      return errorResponse(failure, config);
    }
  };
}

/**
 * Server-side failures are logged for operators: unexpected ones with their stack, expected ones
 * (storage faults, timeouts) as one warning line. Only the code, path and message of our
 * own errors are written: never query strings (signatures) or secrets.
 */
function logFailure(failure: ShutterError, error: unknown, http: HttpRequest): void {
  // Client errors and features configured off (501) are the client's to see, not the operator's;
  // shed requests are expected under load, and a line each would turn a flood into a disk filler.
  if (failure.status < 500 || failure.status === 501 || failure.code === 'Server::Overloaded') return;
  const unexpected = failure.code === 'InternalError';
  console.error(
    JSON.stringify({
      level: unexpected ? 'error' : 'warn',
      msg: 'image request failed',
      code: failure.code,
      path: http.path,
      ...(http.requestId ? { requestId: http.requestId } : {}),
      error: unexpected ? String((error as Error)?.stack ?? error) : failure.message,
    }),
  );
}

function storedContentType(source: ObjectInfo & { body: Buffer }): string {
  const declared = source.contentType;
  if (declared && declared.startsWith('image/')) return declared;
  const detected = detectImageType(source.body);
  return detected ? contentTypeOf(detected) : declared ?? 'application/octet-stream';
}

function matchesEtag(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}


/**
 * The on-demand image path, free of transport: `(HttpRequest) → HttpResponse`. The Lambda
 * adapter and the local server both call it.
 *
 * Order: signature and expiry → decode the door → no edits: stream the stored object (or 304) →
 * If-None-Match → 304, or a result cache hit, both without reading the image → read the source
 * and render, once for all identical requests in flight (coalescing) → cache the result →
 * headers. Errors become SIH's JSON body or, when configured, SIH's fallback image with the
 * error's status.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../core/config.js';
import { Coalescer } from '../core/coalesce.js';
import { Semaphore } from '../core/concurrency.js';
import { toShutterError } from '../core/errors.js';
import { contentTypeOf, detectImageType } from '../core/image-type.js';
import { DEFAULTS } from '../core/limits.js';
import type { Analyzer } from '../core/ports/analyzer.js';
import type { Secrets } from '../core/ports/secrets.js';
import type { ObjectInfo, Storage } from '../core/ports/storage.js';
import type { PresetCatalog } from '../core/presets.js';
import type { RenderDeps } from '../core/pipeline/render-context.js';
import { isPassThrough, renderImage } from '../core/pipeline/render-image.js';
import { inspectImage } from '../core/pipeline/sharp-factory.js';
import { decodeImageRequest } from './decode-request.js';
import { ResultCache } from './result-cache.js';
import { header, type HttpRequest, type HttpResponse } from './http.js';
import { chooseFormat, negotiation } from './negotiate-format.js';
import { baseHeaders, errorResponse } from './responses.js';
import { secondsToExpiry, signingKey, verifySignature } from './signature.js';

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

export interface ImageHandlerOptions {
  /** Share one read and render between identical requests in flight. Default: on. */
  coalesce?: boolean;
  /** The result cache to use instead of the one built from config; `null` for none. */
  resultCache?: ResultCache | null;
}

/** What one read-and-render produces; shared by every coalesced caller. */
interface Produced {
  source: ObjectInfo;
  body: Buffer;
  contentType: string;
}

export function createImageHandler(deps: ImageServiceDeps, options: ImageHandlerOptions = {}): ImageHandler {
  const { config, storage } = deps;
  const now = deps.now ?? (() => new Date());
  const renderDeps: RenderDeps = {
    storage,
    analyzer: deps.analyzer,
    limits: config.limits,
    allowedBuckets: config.sourceBuckets,
  };
  // Sources held in memory at once: a few per render slot, so the next read overlaps the current
  // render while a burst waits as cheap queued requests, not as loaded images (peak RSS stays
  // flat, bench/README.md). A short queue absorbs bursts; beyond it we shed with 503.
  const loads = new Semaphore(config.maxConcurrentRenders * DEFAULTS.sourcesPerRender, config.maxConcurrentRenders * 32);
  // Two renders per core saturate libvips.
  const renders = new Semaphore(config.maxConcurrentRenders);
  const resultCache = options.resultCache !== undefined ? (options.resultCache ?? undefined) : resultCacheFrom(config);
  const inFlight = options.coalesce === false ? undefined : new Coalescer<Produced>();
  const key = () => signingKey(deps.secrets, config.signature.secretName!, config.signature.secretKey!);

  async function handle(http: HttpRequest): Promise<HttpResponse> {
    if (config.signature.enabled) await verifySignature(http.path, http.query, key);
    const expiresIn = secondsToExpiry(http.query, now());
    const { request, ignored } = decodeImageRequest(http.path, http.query, config, deps.presets);
    const negotiated = negotiation(request, header(http, 'accept'), config);
    const { bucket, key: objectKey } = request.source;
    const ifNoneMatch = header(http, 'if-none-match');

    // What the answer depends on, besides the source's version: the ETag and cache key derive from it.
    const requestKey = hash(JSON.stringify([RENDER_VERSION, request, negotiated.preference]));
    const etagOf = (source: ObjectInfo) => `"${hash(`${requestKey}${source.etag}`)}"`;
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
    const notModified = (source: ObjectInfo): HttpResponse => {
      const { 'Content-Type': _type, ...headers } = headersFor(source, '');
      return { status: 304, headers };
    };

    // No edits: the stored bytes as they are (SIH), streamed from storage, never held whole.
    if (isPassThrough(request) && negotiated.preference.length === 0) {
      const { info, stream } = await storage.openRead(bucket, objectKey);
      if (ifNoneMatch && matchesEtag(ifNoneMatch, etagOf(info))) {
        stream.destroy();
        return notModified(info);
      }
      if (info.size <= config.limits.maxSourceBytes && info.contentType?.startsWith('image/')) {
        return { status: 200, headers: headersFor(info, info.contentType), body: stream };
      }
      // Over the size limit (get refuses it with the usual error) or of no declared image type (sniffed).
      stream.destroy();
      const source = await storage.get(bucket, objectKey, { maxBytes: config.limits.maxSourceBytes });
      return { status: 200, headers: headersFor(source, storedContentType(source)), body: source.body };
    }

    // Validators first, when they can spare the read and the render: 304, then a cached result.
    if (ifNoneMatch || resultCache) {
      const info = await storage.head(bucket, objectKey);
      if (info) {
        const etag = etagOf(info);
        if (ifNoneMatch && matchesEtag(ifNoneMatch, etag)) return notModified(info);
        const hit = resultCache?.get(etag, { bucket, key: objectKey, etag: info.etag });
        if (hit) return { status: 200, headers: headersFor(info, hit.contentType), body: hit.body };
      }
    }

    const produce = () =>
      loads.run(async (): Promise<Produced> => {
        const { body: input, ...source } = await storage.get(bucket, objectKey, { maxBytes: config.limits.maxSourceBytes });
        const info = await inspectImage(input, config.limits);
        const format = chooseFormat(negotiated, request, info.pages > 1 && request.edits.animated !== false);
        const effective = format === request.output.format ? request : { ...request, output: { ...request.output, format } };
        const rendered = await renders.run(() => renderImage(input, effective, renderDeps, { source: info }));
        const produced = { source, body: rendered.data, contentType: contentTypeOf(rendered.format) };
        resultCache?.set(etagOf(source), { bucket, key: objectKey, etag: source.etag }, produced);
        return produced;
      });
    const { source, body, contentType } = await (inFlight ? inFlight.run(requestKey, produce) : produce());
    return { status: 200, headers: headersFor(source, contentType), body };
  }

  return async function handleImage(http: HttpRequest): Promise<HttpResponse> {
    try {
      return await handle(http);
    } catch (error) {
      const failure = toShutterError(error);
      if (failure.status >= 500 && failure.code === 'InternalError') {
        console.error(JSON.stringify({ level: 'error', msg: 'image request failed', path: http.path, error: String((error as Error)?.stack ?? error) }));
      }
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

function storedContentType(source: ObjectInfo & { body: Buffer }): string {
  const declared = source.contentType;
  if (declared && declared.startsWith('image/')) return declared;
  const detected = detectImageType(source.body);
  return detected ? contentTypeOf(detected) : declared ?? 'application/octet-stream';
}

function resultCacheFrom(config: Pick<Config, 'resultCacheBytes'>): ResultCache | undefined {
  if (config.resultCacheBytes <= 0) return undefined;
  const maxEntryBytes = Math.min(DEFAULTS.resultCacheMaxEntryMb * 1024 * 1024, config.resultCacheBytes);
  return new ResultCache({ maxBytes: config.resultCacheBytes, maxEntryBytes });
}

const hash = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 32);

function matchesEtag(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}


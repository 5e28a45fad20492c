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
import { hash as digest } from 'node:crypto';
import type { Config } from '../core/config.js';
import { Coalescer } from '../core/coalesce.js';
import { overloaded } from '../core/concurrency.js';
import { toShutterError, type ShutterError } from '../core/errors.js';
import { contentTypeOf, detectImageType } from '../core/image-type.js';
import type { AccessRecord } from '../core/events/record-access.js';
import { DEFAULTS } from '../core/limits.js';
import { logger } from '../core/observability/logger.js';
import type { Analyzer } from '../core/ports/analyzer.js';
import type { Secrets } from '../core/ports/secrets.js';
import { sourceTooLarge, type ObjectInfo, type Storage, type StoredObject } from '../core/ports/storage.js';
import type { PresetCatalog } from '../core/presets.js';
import type { RenderDeps } from '../core/pipeline/render-context.js';
import { isPassThrough, renderImage } from '../core/pipeline/render-image.js';
import { SourceInfoCache } from '../core/pipeline/source-info-cache.js';
import { descriptorFolder, OPEN_DESCRIPTORS, readsFromFile, sourceFileOf, type ImageInput } from '../core/pipeline/source-file.js';
import { withDeadline } from './deadline.js';
import { streamHead } from './stream-head.js';
import type { Readable } from 'node:stream';
import { createRenderGate, renderShare, type RenderGate } from './render-gate.js';
import { decodeImageRequest } from './decode-request.js';
import { defaultRequestCacheControl } from './doors/default-door.js';
import { ResultCache } from './result-cache.js';
import { bodyBytes, header, type HttpRequest, type HttpResponse } from './http.js';
import { ACCEPT_CH, applyClientHints } from './client-hints.js';
import { DeliveryResolver } from './delivery-resolver.js';
import type { SettingsStore } from '../core/ports/settings-store.js';
import { chooseFormat, negotiation } from './negotiate-format.js';
import { baseHeaders, errorResponse, ignoredEditsHeader } from './responses.js';
import { secondsToExpiry, signatureGuard } from './signature.js';

export interface ImageServiceDeps {
  config: Readonly<Config>;
  storage: Storage;
  analyzer: Analyzer;
  secrets: Secrets;
  presets: Readonly<PresetCatalog>;
  /** Delivery settings changed at run time (origins, policies, mappings), see `delivery-resolver.ts`. */
  settings?: SettingsStore;
  now?: () => Date;
  /** Called once per answered request, synchronously; must not block (see `core/events/record-access.ts`). */
  recordAccess?: (record: AccessRecord) => void;
}

/** What the handler learns about a request along the way, for its access record. */
interface AccessNote {
  image?: { bucket: string; key: string };
  format?: string;
  cache: 'hit' | 'miss';
  errorCode?: string;
}

/** Bytes read to sniff an undeclared type: `detectImageType` looks for `<svg` in the first 1024. */
const SNIFF_BYTES = 1024;

/** Bump when a change to rendering should invalidate every ETag issued before. */
const RENDER_VERSION = '1';

export type ImageHandler = (request: HttpRequest) => Promise<HttpResponse>;

export interface ImageHandlerOptions {
  /** Share one read and render between identical requests in flight. Default: on. */
  coalesce?: boolean;
  /** The result cache to use instead of the one built from config; `null` for none. */
  resultCache?: ResultCache | null;
  /** The admission control to share with other routes that decode pixels (`/meta`); default: its own. */
  gate?: RenderGate;
  /**
   * Where open descriptors have names, so libvips can read a local source itself
   * (`core/pipeline/source-file.ts`); `null` reads every source's bytes. Default: Linux's `/proc/self/fd`.
   */
  descriptors?: string | null;
}

/** What one read-and-render produces; shared by every coalesced caller. */
interface Produced {
  source: ObjectInfo;
  body: Buffer;
  contentType: string;
  format: string;
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
  const { admission, loads, renders } = options.gate ?? createRenderGate(config);
  // Unsigned deployments skip the check altogether (not even an await per request).
  const checkSignature = config.signature.enabled ? signatureGuard(config, deps.secrets) : undefined;
  // Origins, policies and mappings changed at run time, when the platform keeps them.
  const resolver = deps.settings ? new DeliveryResolver(deps.settings, config, deps.presets) : undefined;
  const resultCache = options.resultCache !== undefined ? (options.resultCache ?? undefined) : resultCacheFrom(config);
  const inFlight = options.coalesce === false ? undefined : new Coalescer<Produced>();
  const sourceInfos = new SourceInfoCache(config.limits);
  const descriptors = options.descriptors === undefined ? OPEN_DESCRIPTORS : options.descriptors;
  // The same for every answer: made once, copied into each.
  const commonHeaders = baseHeaders(config);

  async function handle(http: HttpRequest, note: AccessNote, signal: AbortSignal): Promise<HttpResponse> {
    // Under overload, shed before spending anything on the request: every millisecond of the
    // event loop spent refusing is taken from the renders in flight.
    if (admission.saturated) throw overloaded();
    if (checkSignature) await checkSignature(http.path, http.query);
    const expiresIn = secondsToExpiry(http.query, now());
    const found = resolver?.forRequest(http);
    const delivery = found instanceof Promise ? await found : found;
    const decoded = delivery
      ? decodeImageRequest(delivery.path, http.query, delivery.config, delivery.presets, delivery.defaultPreset ? { defaultPreset: delivery.defaultPreset } : {})
      : decodeImageRequest(http.path, http.query, config, deps.presets);
    const { ignored, type: door } = decoded;
    const mapped = delivery ? { ...decoded.request, source: delivery.source(decoded.request.source) } : decoded.request;
    const hinted = config.clientHints ? applyClientHints(mapped, (name) => header(http, name)) : undefined;
    const request = hinted?.request ?? mapped;
    const negotiated = negotiation(request, header(http, 'accept'), config);
    const { bucket, key: objectKey } = request.source;
    note.image = { bucket, key: objectKey };

    // What the answer depends on, besides the source's version: the ETag and cache key derive from it.
    const requestKey = hash(JSON.stringify([RENDER_VERSION, request, negotiated.preference]));
    const etagOf = (source: ObjectInfo) => `"${hash(`${requestKey}${source.etag}`)}"`;
    const headersFor = (source: ObjectInfo, contentType: string): Record<string, string> => {
      const headers: Record<string, string> = {
        ...commonHeaders,
        'Cache-Control': source.cacheControl ?? DEFAULTS.cacheControl,
        ...request.headers,
        'Content-Type': contentType,
        'Last-Modified': source.lastModified.toUTCString(),
        ETag: etagOf(source),
      };
      if (source.expires) headers.Expires = source.expires.toUTCString();
      if (expiresIn !== undefined) headers['Cache-Control'] = `max-age=${expiresIn},public`;
      // Most answers vary on nothing: no set is made for them.
      if (negotiated.varies || hinted?.vary.length || delivery) {
        const vary = new Set([...(negotiated.varies ? ['Accept'] : []), ...(hinted?.vary ?? []), ...(delivery?.vary(request.preset) ?? [])]);
        if (vary.size) headers.Vary = [...vary].join(', ');
      }
      if (hinted) headers['Accept-CH'] = ACCEPT_CH;
      if (ignored.length) headers['X-Shutter-Ignored-Edits'] = ignoredEditsHeader(ignored);
      return headers;
    };
    const notModified = (source: ObjectInfo): HttpResponse => {
      const { 'Content-Type': _type, ...headers } = headersFor(source, '');
      note.cache = 'hit';
      return { status: 304, headers, meta: { door, cache: 'not-modified' } };
    };
    const ifNoneMatch = header(http, 'if-none-match');

    // No edits: the stored bytes as they are (SIH), streamed from storage, never held whole.
    if (isPassThrough(request) && negotiated.preference.length === 0) {
      const { info, stream } = await storage.openRead(bucket, objectKey);
      if (ifNoneMatch && matchesEtag(ifNoneMatch, etagOf(info))) {
        stream.destroy();
        return notModified(info);
      }
      // Over the size limit: refused as a read would refuse it, without reading a byte.
      if (info.size > config.limits.maxSourceBytes) {
        stream.destroy();
        throw sourceTooLarge(objectKey, info.size, config.limits.maxSourceBytes);
      }
      let body: Readable = stream;
      let contentType = info.contentType;
      if (contentType?.startsWith('image/')) note.format = contentType.slice('image/'.length);
      else {
        // No declared image type: sniffed from its first bytes, and still streamed, never held whole.
        const sniffed = await streamHead(stream, SNIFF_BYTES);
        body = sniffed.body;
        const detected = detectImageType(sniffed.head);
        note.format = detected;
        contentType = detected ? contentTypeOf(detected) : (contentType ?? 'application/octet-stream');
      }
      // Its length is known: clients see progress, and logs and metrics count its bytes.
      const headers = { ...headersFor(info, contentType), 'Content-Length': String(info.size) };
      return { status: 200, headers, body, meta: { door, cache: 'pass-through' } };
    }

    // Validators first, when they can spare the read and the render: 304, then a cached result.
    if (ifNoneMatch || resultCache) {
      const info = await storage.head(bucket, objectKey);
      if (info) {
        const etag = etagOf(info);
        if (ifNoneMatch && matchesEtag(ifNoneMatch, etag)) return notModified(info);
        const hit = resultCache?.get(etag, { bucket, key: objectKey, etag: info.etag });
        if (hit) {
          note.cache = 'hit';
          return { status: 200, headers: headersFor(info, hit.contentType), body: hit.body, meta: { door, cache: 'result-cache' } };
        }
      }
    }

    /** The source's facts, then the render, from its bytes or its open file; cached for the next identical request. */
    const render = async (source: ObjectInfo, opened: ImageInput): Promise<Produced> => {
      const version = { bucket, key: objectKey, etag: source.etag };
      const info = sourceInfos.known(version, opened) ?? (await sourceInfos.get(version, opened));
      // Formats libvips would read otherwise from a file (SVG) are rendered from their bytes, as before.
      const input = Buffer.isBuffer(opened) || readsFromFile(info.format) ? opened : await opened.read();
      const format = chooseFormat(negotiated, request, info.pages > 1 && request.edits.animated !== false);
      const effective = format === request.output.format ? request : { ...request, output: { ...request.output, format } };
      const rendered = await renders.run(() => {
        // A request whose deadline passed while it waited is not worth rendering any more.
        signal.throwIfAborted();
        return renderImage(input, effective, renderDeps, { source: info, signal });
      }, renderShare(info, effective.edits.animated !== false));
      const produced = { source, body: rendered.data, contentType: contentTypeOf(detectImageType(rendered.data) ?? rendered.format), format: rendered.format };
      resultCache?.set(etagOf(source), { bucket, key: objectKey, etag: source.etag }, produced);
      return produced;
    };
    const renderBytes = ({ body, ...source }: StoredObject) => render(source, body);
    const read = { maxBytes: config.limits.maxSourceBytes, signal };
    const produce = () =>
      loads.run(async (): Promise<Produced> => {
        // A local source is handed to libvips open (it reads the file inside the render's own job);
        // the storage closes it once the render has settled, on every path.
        const folder = storage.withFile ? descriptorFolder(descriptors) : undefined;
        if (folder) return storage.withFile!(bucket, objectKey, read, (object) => ('fd' in object ? render(object, sourceFileOf(object, folder)) : renderBytes(object)));
        return renderBytes(await storage.get(bucket, objectKey, read));
      });
    // Admission bounds the requests in this section; identical ones in flight share one render.
    const { source, body, contentType, format } = await admission.run(() => (inFlight ? inFlight.run(requestKey, produce, signal) : produce()));
    note.format = format;
    return { status: 200, headers: headersFor(source, contentType), body, meta: { door } };
  }

  async function answer(http: HttpRequest, note: AccessNote): Promise<HttpResponse> {
    try {
      return await withDeadline(config.limits.requestTimeoutMs, http.signal, (signal) => handle(http, note, signal));
    } catch (error) {
      const failure = toShutterError(error);
      note.errorCode = failure.code;
      logFailure(failure, error, http);
      if (config.fallbackImage) {
        const fallback = await storage.get(config.fallbackImage.bucket, config.fallbackImage.key).catch(() => undefined);
        if (fallback) {
          // Our own failure (overload, timeout, storage) passes: a CDN must not keep the fallback
          // for a valid URL. The client's mistake keeps SIH's caching of the fallback.
          const ours = failure.status >= 500;
          return {
            status: failure.status,
            headers: {
              ...baseHeaders(config),
              'Content-Type': storedContentType(fallback),
              'Cache-Control': ours ? 'no-store' : (fallback.cacheControl ?? defaultRequestCacheControl(http.path) ?? DEFAULTS.cacheControl),
              'Last-Modified': fallback.lastModified.toUTCString(),
              ...(ours ? { 'Retry-After': String(DEFAULTS.retryAfterSeconds) } : {}),
            },
            body: fallback.body,
          };
        }
      }
      return errorResponse(failure, config);
    }
  }

  const recordAccess = deps.recordAccess;
  if (!recordAccess) return (http) => answer(http, { cache: 'miss' });
  // `then` rather than another async layer: one promise less on every request's path.
  return function handleImage(http: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    const note: AccessNote = { cache: 'miss' };
    return answer(http, note).then((response) => {
      recordAccess({
        method: http.method,
        path: http.path,
        status: response.status,
        image: note.image,
        format: note.format,
        bytes: http.method === 'HEAD' ? 0 : bodyBytes(response),
        durationMs: performance.now() - started,
        cache: note.cache,
        errorCode: note.errorCode,
      });
      return response;
    });
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
  logger[unexpected ? 'error' : 'warn'](
    {
      code: failure.code,
      path: http.path,
      ...(http.requestId ? { requestId: http.requestId } : {}),
      error: unexpected ? String((error as Error)?.stack ?? error) : failure.message,
    },
    'image request failed',
  );
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

/** Node's one-shot digest: the same bytes as a `createHash` object, without one per call (two per request: the request key and the ETag). */
const hash = (text: string) => digest('sha256', text, 'base64url').slice(0, 32);

function matchesEtag(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}


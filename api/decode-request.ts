/**
 * Chooses the door as SIH does (Default if the path is base64 JSON, else Custom when a rewrite is
 * configured, else Thumbor), applies query parameters and presets, enforces the bucket
 * allow-list and presets-only mode, and validates the result into an ImageRequest.
 */
import type { Config } from '../core/config.js';
import { AccessError, NotFoundError, RequestError } from '../core/errors.js';
import { parseImageRequest, type ImageRequest } from '../core/image-request.js';
import { LIMITS } from '../core/limits.js';
import { isAllowedOrigin, isRemoteOrigin, splitRemoteUrl } from '../core/origins.js';
import type { PresetCatalog } from '../core/presets.js';
import { decodeDefault, tryDecodeDefault } from './doors/default-door.js';
import { applyQueryParams } from './doors/query-params.js';
import type { RawImageRequest, RequestType } from './doors/raw-request.js';
import { decodeThumbor, isThumborPath } from './doors/thumbor-door.js';
import { ownEntry } from '../core/own-entry.js';

export interface DecodedRequest {
  type: RequestType;
  request: ImageRequest;
  /** Edits SIH would skip silently; reported in a response header. */
  ignored: string[];
}

export function decodeRawRequest(path: string, config: Pick<Config, 'sourceBuckets' | 'rewrite'>): RawImageRequest {
  if (!path || path === '/') {
    throw new RequestError('DecodeRequest::CannotReadPath', 'The URL path you provided could not be read. Please ensure that it is properly formed according to the solution documentation.');
  }
  if (path.length > LIMITS.maxPathLength) {
    throw new RequestError('DecodeRequest::PathTooLong', `The URL path is longer than ${LIMITS.maxPathLength} characters.`, 414);
  }
  const decoded = tryDecodeDefault(path);
  if (decoded) return decodeDefault(decoded, config.sourceBuckets[0]!);
  if (config.rewrite) {
    const rewritten = path.replace(config.rewrite.pattern, config.rewrite.substitution);
    return decodeThumbor(rewritten, { allowedBuckets: config.sourceBuckets, type: 'Custom' });
  }
  if (isThumborPath(path) || isEncodedRemoteUrl(path)) return decodeThumbor(path, { allowedBuckets: config.sourceBuckets });
  throw new RequestError(
    'RequestTypeError',
    'The type of request you are making could not be processed. Please ensure that your original image is of a supported file type (jpg/jpeg, png, tiff/tif, webp, svg, gif, avif) and that your image request is provided in the correct syntax. Refer to the documentation for additional guidance on forming image requests.',
  );
}

/**
 * A key that is an absolute URL names a remote origin, from every door alike
 * (`/fit-in/300x300/https://host/a.jpg`, a Default request's `"key"`): the origin becomes the
 * source's bucket and the URL's path its key.
 */
function remoteSource(raw: RawImageRequest): RawImageRequest {
  const remote = splitRemoteUrl(raw.key);
  return remote ? { ...raw, bucket: remote.origin, bucketExplicit: true, key: remote.path } : raw;
}

/**
 * A remote URL written percent-encoded as one segment (`/https%3A%2F%2Fhost%2Fa.jpg%3Fv%3D2`, as
 * imagor allows): SIH's request-type test reads the extension of the URL's own path, not of the
 * encoded whole.
 */
function isEncodedRemoteUrl(path: string): boolean {
  const last = path.slice(path.lastIndexOf('/') + 1);
  let decoded: string;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    return false;
  }
  const remote = splitRemoteUrl(decoded);
  return !!remote && isThumborPath(remote.path.replace(/\?.*$/, ''));
}

export function decodeImageRequest(
  path: string,
  query: Record<string, string>,
  config: Pick<Config, 'sourceBuckets' | 'rewrite' | 'presetsOnly' | 'origins'> & {
    signature: Pick<Config['signature'], 'enabled'>;
    analysis: Pick<Config['analysis'], 'unsignedRequests'>;
  },
  presets: Readonly<PresetCatalog>,
  options: { defaultPreset?: string } = {},
): DecodedRequest {
  const decoded = remoteSource(applyQueryParams(decodeRawRequest(path, config), query));
  // A mapping's policy applies when the URL names no preset of its own.
  const raw = decoded.preset || !options.defaultPreset ? decoded : { ...decoded, preset: options.defaultPreset };
  if (isRemoteOrigin(raw.bucket)) {
    if (!isAllowedOrigin(raw.bucket, config.origins.allow)) {
      throw new AccessError('Origin::NotAllowed', 'The image origin is not allowed. Please check that it is listed in SOURCE_URLS.');
    }
  } else if (!config.sourceBuckets.includes(raw.bucket)) {
    throw new AccessError(
      'ImageBucket::CannotAccessBucket',
      'The bucket you specified could not be accessed. Please check that the bucket is specified in your SOURCE_BUCKETS.',
    );
  }
  if (raw.type === 'Default' && raw.key === '') {
    throw new NotFoundError('NoSuchKey', 'The image request names no key: the image does not exist or the request may not be base64 encoded properly.');
  }
  let { edits, output } = raw;
  if (config.presetsOnly) {
    const asksMore = Object.keys(edits).length > 0 || Object.keys(output).some((name) => name !== 'auto' && name !== 'dpr');
    if (!raw.preset || asksMore) {
      throw new AccessError('Preset::Required', 'This service only serves named presets: add ?preset=<name> and no other edits.');
    }
  }
  guardAnalysis(edits, config);
  if (raw.preset) {
    const preset = ownEntry(presets, raw.preset);
    if (!preset) throw new RequestError('Preset::NotFound', `There is no preset named "${raw.preset}".`, 400);
    // The request's own edits refine the preset's.
    edits = { ...preset.edits, ...edits };
    output = { ...preset.output, ...output };
  }
  const request = parseImageRequest({
    source: { bucket: raw.bucket, key: raw.key },
    edits,
    output,
    ...(raw.headers ? { headers: raw.headers } : {}),
    ...(raw.preset ? { preset: raw.preset } : {}),
  });
  return { type: raw.type, request, ignored: raw.ignored };
}

/** The edits that call the analyzer: with Rekognition, each cache miss is a billed call. */
const ANALYSIS_EDITS = ['smartCrop', 'contentModeration'] as const;

/**
 * Cost guard: anyone can mint unsigned URLs, so an analysis edit the URL asks for itself (not one
 * of a preset, which the operator wrote) needs a signed deployment or the operator's consent
 * (ANALYSIS_UNSIGNED). Signature checks run before decoding, so enabled means this URL is signed.
 */
function guardAnalysis(
  ownEdits: Record<string, unknown>,
  config: { signature: Pick<Config['signature'], 'enabled'>; analysis: Pick<Config['analysis'], 'unsignedRequests'> },
): void {
  if (config.signature.enabled || config.analysis.unsignedRequests) return;
  const asked = ANALYSIS_EDITS.filter((name) => ownEdits[name] !== undefined && ownEdits[name] !== false);
  if (asked.length) {
    throw new AccessError(
      'Analysis::SignatureRequired',
      `${asked.join(' and ')} need a signed URL or a preset here: unsigned URLs may not start image analysis.`,
    );
  }
}

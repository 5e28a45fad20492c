/**
 * Chooses the door as SIH does (Default if the path is base64 JSON, else Custom when a rewrite is
 * configured, else Thumbor), applies query parameters and presets, enforces the bucket
 * allow-list and presets-only mode, and validates the result into an ImageRequest.
 */
import type { Config } from '../core/config.js';
import { AccessError, NotFoundError, RequestError } from '../core/errors.js';
import { parseImageRequest, type ImageRequest } from '../core/image-request.js';
import { LIMITS } from '../core/limits.js';
import type { PresetCatalog } from '../core/presets.js';
import { decodeDefault, tryDecodeDefault } from './doors/default-door.js';
import { applyQueryParams } from './doors/query-params.js';
import type { RawImageRequest, RequestType } from './doors/raw-request.js';
import { decodeThumbor, isThumborPath } from './doors/thumbor-door.js';

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
  if (isThumborPath(path)) return decodeThumbor(path, { allowedBuckets: config.sourceBuckets });
  throw new RequestError(
    'RequestTypeError',
    'The type of request you are making could not be processed. Please ensure that your original image is of a supported file type (jpg/jpeg, png, tiff/tif, webp, svg, gif, avif) and that your image request is provided in the correct syntax. Refer to the documentation for additional guidance on forming image requests.',
  );
}

export function decodeImageRequest(
  path: string,
  query: Record<string, string>,
  config: Pick<Config, 'sourceBuckets' | 'rewrite' | 'presetsOnly'>,
  presets: Readonly<PresetCatalog>,
): DecodedRequest {
  const raw = applyQueryParams(decodeRawRequest(path, config), query);
  if (!config.sourceBuckets.includes(raw.bucket)) {
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
  if (raw.preset) {
    const preset = presets[raw.preset];
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

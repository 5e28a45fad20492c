/**
 * SIH's Default door: the path is base64 of a JSON request
 * `{ bucket?, key, edits?, outputFormat?, effort?, headers?, preset? }`.
 */
import type { RawImageRequest } from './raw-request.js';
import { normalizeFormat, normalizeSihEdits } from './sih-edits.js';

/** SIH's own test for a Default path: standard base64 alphabet, with padding. */
const DEFAULT_PATH = /^(\/?)([0-9a-zA-Z+/]{4})*(([0-9a-zA-Z+/]{2}==)|([0-9a-zA-Z+/]{3}=))?$/;

/** The decoded JSON when `path` is a Default request, undefined otherwise (SIH's `isBase64Encoded` test). */
export function tryDecodeDefault(path: string): unknown {
  if (!DEFAULT_PATH.test(path)) return undefined;
  const encoded = path.startsWith('/') ? path.slice(1) : path;
  if (!encoded) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const HEADER_DENY_LIST = [
  /^authorization$/i, /^connection$/i, /^server$/i, /^transfer-encoding$/i, /^referrer-policy$/i, /^permissions-policy$/i,
  /^www-authenticate$/i, /^proxy-authenticate$/i, /^x-api-key$/i, /^x-frame-.*$/i, /^x-content-.*$/i, /^x-xss-.*$/i,
  /^strict-transport-.*$/i, /^permissions-.*$/i, /^x-amz-.*$/i, /^x-amzn-.*$/i, /^access-control-.*$/i, /^cross-origin-.*$/i,
  /^content-.*$/i, /^set-cookie$/i, /^location$/i, /^etag$/i, /^vary$/i,
];

export function decodeDefault(decoded: unknown, defaultBucket: string): RawImageRequest {
  const request = decoded as Record<string, unknown>;
  const { edits, output, ignored } = normalizeSihEdits(request.edits);
  // SIH precedence: edits.toFormat beats outputFormat.
  if (!output.format && request.outputFormat !== undefined && request.outputFormat !== null) {
    output.format = normalizeFormat(request.outputFormat);
  }
  if (typeof request.effort === 'number' && (output.format ?? 'webp') === 'webp') {
    const effort = Math.trunc(request.effort);
    output.options = { ...output.options, webp: { ...output.options?.webp, effort: effort >= 0 && effort <= 6 ? effort : 4 } };
  }
  return {
    type: 'Default',
    bucket: typeof request.bucket === 'string' ? request.bucket : defaultBucket,
    bucketExplicit: typeof request.bucket === 'string',
    // No key (or not a string): SIH asks S3 for it anyway and answers 404 NoSuchKey, after the
    // bucket and edits checks; `decodeImageRequest` does the same with an empty key.
    key: typeof request.key === 'string' ? request.key : '',
    edits,
    output,
    ignored,
    headers: filterHeaders(request.headers),
    ...(typeof request.preset === 'string' ? { preset: request.preset } : {}),
  };
}

/** SIH's HEADER_DENY_LIST (plus the headers we compute ourselves): a request cannot set them. */
function filterHeaders(headers: unknown): Record<string, string> | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const allowed = Object.entries(headers as Record<string, unknown>).filter(
    ([name, value]) => typeof value === 'string' && !HEADER_DENY_LIST.some((pattern) => pattern.test(name)),
  );
  return allowed.length ? Object.fromEntries(allowed) as Record<string, string> : undefined;
}

/**
 * The `headers["Cache-Control"]` of a Default request, read straight from its path: SIH answers
 * its fallback image with it (when the fallback object has none), even for a request that failed
 * before it was decoded. Undefined for any other path, or a value a header cannot carry.
 */
export function defaultRequestCacheControl(path: string): string | undefined {
  const headers = (tryDecodeDefault(path) as { headers?: unknown } | undefined)?.headers;
  const value = headers && typeof headers === 'object' ? (headers as Record<string, unknown>)['Cache-Control'] : undefined;
  return typeof value === 'string' && /^[\t\x20-\x7e]{1,1024}$/.test(value) ? value : undefined;
}

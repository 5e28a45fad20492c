/**
 * `/r/<key>`: the bulk workflow's renditions by URL (each manifest entry's `url`). The stored
 * bytes as they are, from the renditions bucket: its ETag and conditional requests, single byte
 * ranges (video-style players and resumable downloads ask for them), and immutable caching when
 * the URL carries `v` (a manifest URL does: the source's content hash, so a re-upload is a new
 * URL). In AWS, CloudFront serves `/r/*` straight from the renditions bucket; this route is the
 * local server's.
 *
 * SIH compatibility: a source key may itself start with `r/`. When the renditions bucket has no
 * such object the request goes on to the image handler, as it always did.
 */
import { NotFoundError } from '../core/errors.js';
import type { Storage } from '../core/ports/storage.js';
import { decodePathParam, header, type HttpRequest, type HttpResponse } from './http.js';
import type { Route } from './router.js';

export const RENDITIONS_PATH = '/r/';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Without `v` the URL is reused when an image is processed again: a day, then revalidation by ETag. */
const REVALIDATED = 'public, max-age=86400';

export function renditionsRoute(storage: Storage, bucket: string, fallback: (request: HttpRequest) => Promise<HttpResponse>): Route {
  return {
    name: 'rendition',
    method: ['GET', 'HEAD'],
    path: RENDITIONS_PATH,
    handle: async (request) => {
      const key = decodePathParam(request.path.slice(RENDITIONS_PATH.length), 'rendition key');
      const info = key ? await storage.head(bucket, key).catch((error: unknown) => (error instanceof NotFoundError ? undefined : Promise.reject(error))) : undefined;
      if (!info) return fallback(request);
      const headers: Record<string, string> = {
        'Content-Type': info.contentType ?? 'application/octet-stream',
        'Cache-Control': request.query.v ? IMMUTABLE : REVALIDATED,
        ETag: info.etag,
        'Last-Modified': info.lastModified.toUTCString(),
        'Accept-Ranges': 'bytes',
      };
      if (header(request, 'if-none-match') === info.etag) return { status: 304, headers, meta: { cache: 'not-modified' } };
      const range = parseRange(header(request, 'range'), info.size);
      if (range === 'unsatisfiable') {
        return { status: 416, headers: { ...headers, 'Content-Range': `bytes */${info.size}` } };
      }
      const { body } = request.method === 'HEAD' && !range ? { body: undefined } : await storage.get(bucket, key);
      if (range) {
        return {
          status: 206,
          headers: { ...headers, 'Content-Range': `bytes ${range.start}-${range.end}/${info.size}`, 'Content-Length': String(range.end - range.start + 1) },
          ...(request.method === 'HEAD' ? {} : { body: body!.subarray(range.start, range.end + 1) }),
        };
      }
      return { status: 200, headers: { ...headers, 'Content-Length': String(info.size) }, ...(body ? { body } : {}) };
    },
  };
}

/**
 * One `bytes=` range (RFC 9110 §14.1.2): `a-b`, `a-` or `-n`. Several ranges, or another unit,
 * are answered whole (the RFC allows ignoring Range); a range past the end is unsatisfiable.
 */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = value ? /^bytes=(\d*)-(\d*)$/.exec(value.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}

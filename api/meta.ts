/**
 * `GET /meta/<any image path>`: what the source behind an image URL is, without rendering it:
 * dimensions, format, frames, an EXIF summary, the dominant colour and a ThumbHash placeholder
 * (a ~25-byte preview a page can paint before the image arrives).
 *
 * It decodes pixels, so it is admitted like a render, in a pool of its own (`render-gate.ts`), and
 * it decodes once, straight to a 100 px preview: JPEG, WebP and SVG shrink on load, PNG streams
 * line by line, so a 100 MP source costs one pass and a few MB, never its full raster. The
 * dominant colour is read from that preview, not from a full-size `stats()`, which ignores
 * sharp's timeout and holds the whole image.
 */
import { rgbaToThumbHash } from 'thumbhash';
import { overloaded } from '../core/concurrency.js';
import type { Platform } from '../core/compose.js';
import { blameSource, inspectImage, openImage, openTrusted, type ImageLimits } from '../core/pipeline/sharp-factory.js';
import { withDeadline } from './deadline.js';
import { decodeImageRequest } from './decode-request.js';
import { json } from './http.js';
import type { RenderGate } from './render-gate.js';
import type { Route } from './router.js';
import type { signatureGuard } from './signature.js';

export interface ImageMeta {
  width: number;
  height: number;
  format: string;
  bytes: number;
  frames: number;
  hasAlpha: boolean;
  orientation: number;
  dominantColor: string;
  thumbhash: string;
  exif?: Record<string, string | number>;
}

/** ThumbHash encodes at most 100×100 pixels. */
const PREVIEW_SIDE = 100;

export async function describeImage(input: Buffer, limits: ImageLimits): Promise<ImageMeta> {
  const source = await inspectImage(input, limits);
  // The header was fine, but the pixels may not be (truncated, corrupt): the client's 4xx, not a 500.
  const [metadata, preview] = await Promise.all([
    openImage(input, limits).metadata(),
    openImage(input, limits).autoOrient().resize(PREVIEW_SIDE, PREVIEW_SIDE, { fit: 'inside' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true }),
  ]).catch(async (error: unknown) => {
    throw await blameSource(error, input, limits);
  });
  const { width, height, channels } = preview.info;
  const { dominant } = await openTrusted(preview.data, { raw: { width, height, channels } }).stats();
  const hex = (value: number) => value.toString(16).padStart(2, '0');
  // exif-reader's tag tables load with the first /meta of a photo that has EXIF, not at every Lambda cold start.
  const exif = metadata.exif ? (await import('../core/pipeline/exif-summary.js')).summarizeExif(metadata.exif) : undefined;
  return {
    width: source.width,
    height: source.height,
    format: source.format,
    bytes: source.size,
    frames: source.pages,
    hasAlpha: source.hasAlpha,
    orientation: source.orientation,
    dominantColor: `#${hex(dominant.r)}${hex(dominant.g)}${hex(dominant.b)}`,
    thumbhash: Buffer.from(rgbaToThumbHash(width, height, preview.data)).toString('base64'),
    ...(exif && Object.keys(exif).length ? { exif } : {}),
  };
}

/** The `/meta/…` route: signed like image URLs, admitted in its own pool, bounded by the request deadline. */
export function metaRoute(platform: Platform, gate: RenderGate, checkSignature: ReturnType<typeof signatureGuard>): Route {
  const { config, storage } = platform;
  return {
    name: 'meta',
    method: ['GET', 'HEAD'],
    path: /^\/meta(\/.+)$/,
    handle: (request, [imagePath]) =>
      withDeadline(config.limits.requestTimeoutMs, request.signal, async (signal) => {
        // Under overload, shed before spending anything on the request (as the image handler does).
        if (gate.meta.saturated) throw overloaded();
        // Metadata and a ThumbHash preview reveal the image: signed deployments sign `/meta/…` URLs too.
        await checkSignature(request.path, request.query);
        const { request: decoded } = decodeImageRequest(imagePath!, request.query, config, platform.presets);
        const { bucket, key } = decoded.source;
        const meta = await gate.meta.run(async () => {
          const source = await storage.get(bucket, key, { maxBytes: config.limits.maxSourceBytes, signal });
          // A request whose deadline passed while it waited is not worth decoding any more.
          signal.throwIfAborted();
          return describeImage(source.body, config.limits);
        });
        return json(200, { bucket, key, ...meta }, { 'Cache-Control': 'max-age=300,public' });
      }),
  };
}

/**
 * Inspect: reads the upload once and learns what it is before anything renders it: the type
 * from its magic bytes (never its name), dimensions and frames from the header (refusing
 * pixel bombs before decoding), that every pixel decodes without a warning (corrupt data is
 * refused, not rendered grey), a content hash, an EXIF summary, and the renditions to make.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ImageError, RequestError } from '../core/errors.js';
import { sameEtag } from '../core/etag.js';
import { contentTypeOf, detectImageType, type ImageType } from '../core/image-type.js';
import { summarizeExif } from '../core/pipeline/exif-summary.js';
import { checkDecodes, inspectImage, openImage } from '../core/pipeline/sharp-factory.js';
import type { RenditionPreset } from '../core/renditions.js';
import { SourceObject, TaskIds } from './task-input.js';
import type { TaskDeps } from './task-deps.js';
import { withTaskMiddleware } from './with-task-middleware.js';

export const InspectInput = TaskIds.extend({
  source: SourceObject,
  /** The rendition set to plan (`default` when absent). */
  set: z.string().max(64).optional(),
});
export type InspectInput = z.infer<typeof InspectInput>;

export interface InspectOutput {
  type: ImageType;
  contentType: string;
  /** After EXIF orientation. */
  width: number;
  height: number;
  frames: number;
  hasAlpha: boolean;
  orientation: number;
  bytes: number;
  /** `sha256:<hex>` of the bytes as uploaded. */
  hash: string;
  exif?: Record<string, string | number>;
  /** The presets the Render map iterates over, one item each. */
  renditions: RenditionPreset[];
}

export async function run(input: InspectInput, deps: TaskDeps, { signal }: { signal: AbortSignal }): Promise<InspectOutput> {
  const { bucket, key, etag } = input.source;
  const set = input.set ?? 'default';
  const renditions = deps.renditions[set];
  if (!renditions) throw new RequestError('Renditions::UnknownSet', `There is no rendition set named "${set}".`);
  const object = await deps.storage.get(bucket, key, { maxBytes: deps.limits.maxSourceBytes, signal });
  if (etag && !sameEtag(object.etag, etag)) {
    // A newer upload replaced this one; its own execution (named after its ETag) processes it.
    throw new RequestError('Upload::Superseded', `${key} changed since this execution started (ETag ${etag}, now ${object.etag}).`, 409);
  }
  const type = detectImageType(object.body);
  if (!type || type === 'svg') {
    throw new ImageError('ImageSource::UnsupportedFormat', `${key} is not an image in a format the workflow renders.`, 415);
  }
  const info = await inspectImage(object.body, deps.limits);
  // Headers can be intact in front of junk: decode it all once, before anything is published.
  await checkDecodes(object.body, deps.limits);
  const metadata = await openImage(object.body, deps.limits).metadata();
  const exif = metadata.exif ? summarizeExif(metadata.exif) : undefined;
  return {
    type,
    contentType: contentTypeOf(type),
    width: info.width,
    height: info.height,
    frames: info.pages,
    hasAlpha: info.hasAlpha,
    orientation: info.orientation,
    bytes: object.body.length,
    hash: `sha256:${createHash('sha256').update(object.body).digest('hex')}`,
    ...(exif && Object.keys(exif).length ? { exif } : {}),
    renditions: [...renditions],
  };
}

export const handler = withTaskMiddleware(run, { task: 'inspect', input: InspectInput });

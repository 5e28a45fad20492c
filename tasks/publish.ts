/**
 * Publish: writes the image's manifest next to its renditions (`<key>/manifest.json` in the
 * renditions bucket), then publishes `image.rendition.created` for each rendition and
 * `image.workflow.completed`. The manifest is written first: a consumer told of completion
 * can always read it.
 */
import { z } from 'zod';
import { RENDITION_FORMATS, type ManifestRendition, type RenderedRendition } from '../core/rendition.js';
import { manifestKey, renditionUrl } from '../core/renditions.js';
import { SourceObject, TaskIds } from './task-input.js';
import type { TaskDeps } from './task-deps.js';
import { withTaskMiddleware } from './with-task-middleware.js';
import { durationSince, workflowEvent } from './workflow-event.js';

/** A RenderedRendition as the Render map passes it on (the type check below keeps the two in step). */
const Rendition = z.object({
  preset: z.string(),
  format: z.enum(RENDITION_FORMATS),
  bucket: z.string(),
  key: z.string(),
  width: z.number(),
  height: z.number(),
  bytes: z.number(),
  contentType: z.string(),
  /** Render and write time; absent from renditions rendered before it was recorded. */
  ms: z.number().nonnegative().optional(),
}) satisfies z.ZodType<Omit<RenderedRendition, 'ms'> & Partial<Pick<RenderedRendition, 'ms'>>>;

export const PublishInput = TaskIds.extend({
  source: SourceObject,
  inspection: z
    .object({
      type: z.string(),
      contentType: z.string(),
      width: z.number(),
      height: z.number(),
      frames: z.number(),
      bytes: z.number(),
      hash: z.string(),
      exif: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    })
    .loose(),
  moderation: z
    .object({ status: z.enum(['passed', 'flagged', 'unavailable']), labels: z.array(z.object({}).loose()), analyzer: z.string(), reason: z.string().optional() })
    .loose(),
  focus: z.object({ focus: z.object({ x: z.number(), y: z.number() }), basis: z.string(), box: z.object({}).loose().optional() }).loose(),
  /** The Render map's output: one entry per preset. */
  renditions: z.array(z.object({ preset: z.string(), renditions: z.array(Rendition) })),
});
export type PublishInput = z.infer<typeof PublishInput>;

/** The manifest written for every processed image. */
export interface Manifest {
  version: 1;
  imageId: string;
  executionId: string;
  source: { bucket: string; key: string; etag?: string };
  hash: string;
  type: string;
  contentType: string;
  width: number;
  height: number;
  frames: number;
  bytes: number;
  exif?: Record<string, string | number>;
  /** With the operator's `decision` when a flagged image was approved. */
  moderation: PublishInput['moderation'];
  focalPoint: { x: number; y: number; basis: string };
  /** Each with its public `url` (see `renditionUrl`). */
  renditions: ManifestRendition[];
  createdAt: string;
}

export interface PublishOutput {
  manifest: { bucket: string; key: string };
  renditions: number;
  events: number;
}

export async function run(input: PublishInput, deps: TaskDeps): Promise<PublishOutput> {
  const renditions = input.renditions.flatMap((preset) => preset.renditions);
  const now = deps.now();
  const manifest: Manifest = {
    version: 1,
    imageId: input.imageId,
    executionId: input.executionId,
    source: input.source,
    hash: input.inspection.hash,
    type: input.inspection.type,
    contentType: input.inspection.contentType,
    width: input.inspection.width,
    height: input.inspection.height,
    frames: input.inspection.frames,
    bytes: input.inspection.bytes,
    ...(input.inspection.exif ? { exif: input.inspection.exif } : {}),
    moderation: input.moderation,
    focalPoint: { ...input.focus.focus, basis: input.focus.basis },
    renditions: renditions.map(({ ms: _ms, ...rendition }) => ({ ...rendition, url: renditionUrl(deps.renditionsBaseUrl, rendition.key, input.inspection.hash) })),
    createdAt: now.toISOString(),
  };
  const target = { bucket: deps.buckets.renditions, key: manifestKey(input.source.key) };
  await deps.storage.put(target.bucket, target.key, Buffer.from(JSON.stringify(manifest, null, 2)), { contentType: 'application/json' });
  const ids = { executionId: input.executionId, imageId: input.imageId, time: now };
  const image = { bucket: input.source.bucket, key: input.source.key };
  const duration_ms = durationSince(input.startedAt, now);
  const renditionData = (rendition: (typeof renditions)[number]) => ({
    name: rendition.preset,
    format: rendition.format,
    width: rendition.width,
    height: rendition.height,
    bytes: rendition.bytes,
    bucket: rendition.bucket,
    key: rendition.key,
  });
  const events = [
    ...renditions.map((rendition) =>
      workflowEvent('image.rendition.created', {
        ...ids,
        about: rendition.key,
        // This rendition's own time; the whole workflow's only for renditions rendered before it was recorded.
        data: { image, execution_id: input.executionId, rendition: renditionData(rendition), duration_ms: rendition.ms ?? duration_ms },
      }),
    ),
    workflowEvent('image.workflow.completed', {
      ...ids,
      data: {
        image,
        execution_id: input.executionId,
        format: input.inspection.type,
        width: input.inspection.width,
        height: input.inspection.height,
        bytes: input.inspection.bytes,
        ...(/^[0-9a-f]{64}$/.test(input.inspection.hash) ? { content_hash: input.inspection.hash } : {}),
        renditions: renditions.map(renditionData),
        manifest: target,
        moderation: {
          flagged: input.moderation.status === 'flagged',
          labels: input.moderation.labels.map((label) => String((label as { name?: unknown }).name ?? '')).filter(Boolean),
        },
        duration_ms,
      },
    }),
  ];
  await deps.events.publish(events);
  return { manifest: target, renditions: renditions.length, events: events.length };
}

export const handler = withTaskMiddleware(run, { task: 'publish', input: PublishInput });

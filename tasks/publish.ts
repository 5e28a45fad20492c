/**
 * Publish: writes the image's manifest next to its renditions (`<key>/manifest.json` in the
 * renditions bucket), then publishes `image.rendition.created` for each rendition and
 * `image.workflow.completed`. The manifest is written first: a consumer told of completion
 * can always read it.
 */
import { z } from 'zod';
import { manifestKey } from '../core/renditions.js';
import { RENDITION_FORMATS } from '../core/renditions.js';
import { SourceObject, TaskIds } from './task-input.js';
import type { TaskDeps } from './task-deps.js';
import { withTaskMiddleware } from './with-task-middleware.js';
import { workflowEvent } from './workflow-event.js';

const Rendition = z.object({
  preset: z.string(),
  format: z.enum(RENDITION_FORMATS),
  bucket: z.string(),
  key: z.string(),
  width: z.number(),
  height: z.number(),
  bytes: z.number(),
  contentType: z.string(),
});

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
  renditions: z.infer<typeof Rendition>[];
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
    renditions,
    createdAt: now.toISOString(),
  };
  const target = { bucket: deps.buckets.renditions, key: manifestKey(input.source.key) };
  await deps.storage.put(target.bucket, target.key, Buffer.from(JSON.stringify(manifest, null, 2)), { contentType: 'application/json' });
  const ids = { executionId: input.executionId, imageId: input.imageId, time: now };
  const events = [
    ...renditions.map((rendition) =>
      workflowEvent('image.rendition.created', { ...ids, about: rendition.key, data: { executionId: input.executionId, source: input.source, ...rendition } }),
    ),
    workflowEvent('image.workflow.completed', {
      ...ids,
      data: {
        executionId: input.executionId,
        source: input.source,
        manifest: target,
        hash: input.inspection.hash,
        renditions: renditions.length,
        moderation: input.moderation.status,
      },
    }),
  ];
  await deps.events.publish(events);
  return { manifest: target, renditions: renditions.length, events: events.length };
}

export const handler = withTaskMiddleware(run, { task: 'publish', input: PublishInput });

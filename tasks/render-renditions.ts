/**
 * Render: one preset of the rendition set, in each of its formats. Every rendition is an
 * ordinary ImageRequest (`renditionRequest`) rendered by the on-demand pipeline's
 * `renderImage`, and written to a deterministic key, so a retry overwrites what a failed
 * attempt may have left. The Map state runs one of these per preset, a few at a time.
 */
import { z } from 'zod';
import { contentTypeOf } from '../core/image-type.js';
import type { RenderDeps } from '../core/pipeline/render-context.js';
import { renderImage } from '../core/pipeline/render-image.js';
import { inspectImage } from '../core/pipeline/sharp-factory.js';
import type { RenderedRendition } from '../core/rendition.js';
import { RenditionPreset, renditionKey, renditionRequest } from '../core/renditions.js';
import { ImageSize, SourceObject, TaskIds } from './task-input.js';
import type { TaskDeps } from './task-deps.js';
import { withTaskMiddleware } from './with-task-middleware.js';

export const RenderRenditionsInput = TaskIds.extend({
  source: SourceObject,
  size: ImageSize,
  focus: z.strictObject({ x: z.number().min(0).max(1), y: z.number().min(0).max(1) }).optional(),
  preset: RenditionPreset,
});
export type RenderRenditionsInput = z.infer<typeof RenderRenditionsInput>;

export interface RenderRenditionsOutput {
  preset: string;
  renditions: RenderedRendition[];
}

export async function run(input: RenderRenditionsInput, deps: TaskDeps, { signal }: { signal: AbortSignal }): Promise<RenderRenditionsOutput> {
  const { bucket, key } = input.source;
  const { body } = await deps.storage.get(bucket, key, { maxBytes: deps.limits.maxSourceBytes, signal });
  const source = await inspectImage(body, deps.limits);
  const renderDeps: RenderDeps = { storage: deps.storage, analyzer: deps.analyzer, limits: deps.limits, allowedBuckets: [bucket] };
  const renditions: RenderedRendition[] = [];
  for (const format of input.preset.formats) {
    signal.throwIfAborted();
    const started = performance.now();
    const request = renditionRequest({ bucket, key }, input.preset, format, input.size, input.focus);
    const rendered = await renderImage(body, request, renderDeps, { signal, source });
    const target = { bucket: deps.buckets.renditions, key: renditionKey(key, input.preset.name, format) };
    const contentType = contentTypeOf(format);
    await deps.storage.put(target.bucket, target.key, rendered.data, { contentType });
    renditions.push({ preset: input.preset.name, format, ...target, width: rendered.width, height: rendered.height, bytes: rendered.data.length, contentType, ms: Math.round(performance.now() - started) });
  }
  return { preset: input.preset.name, renditions };
}

export const handler = withTaskMiddleware(run, { task: 'render-renditions', input: RenderRenditionsInput });

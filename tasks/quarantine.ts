/**
 * Quarantine: copies a flagged image to the quarantine bucket (same key) and publishes
 * `image.moderation.flagged`. When the workflow waits for an operator, the state passes a task
 * token, and a review record `_reviews/<execution name>.json` keeps it where the decision route
 * (and, in AWS, the console) finds it.
 */
import { z } from 'zod';
import { SourceObject, TaskIds } from './task-input.js';
import type { TaskDeps } from './task-deps.js';
import { withTaskMiddleware } from './with-task-middleware.js';
import { executionNameOf, workflowEvent } from './workflow-event.js';

export const QuarantineInput = TaskIds.extend({
  source: SourceObject,
  moderation: z.object({ status: z.string(), labels: z.array(z.object({ name: z.string(), parentName: z.string(), confidence: z.number() })) }).loose(),
  /** Present when the state waits for an operator (`.waitForTaskToken`). */
  taskToken: z.string().min(1).max(4096).optional(),
});
export type QuarantineInput = z.infer<typeof QuarantineInput>;

export interface QuarantineOutput {
  quarantine: { bucket: string; key: string };
  review?: { bucket: string; key: string };
}

/** Where the pending review of an execution is recorded, in the quarantine bucket. */
export function reviewKey(executionName: string): string {
  return `_reviews/${executionName}.json`;
}

export async function run(input: QuarantineInput, deps: TaskDeps, { signal }: { signal: AbortSignal }): Promise<QuarantineOutput> {
  const { bucket, key } = input.source;
  const object = await deps.storage.get(bucket, key, { maxBytes: deps.limits.maxSourceBytes, signal });
  const quarantine = { bucket: deps.buckets.quarantine, key };
  await deps.storage.put(quarantine.bucket, quarantine.key, object.body, {
    ...(object.contentType ? { contentType: object.contentType } : {}),
    metadata: { 'shutter-image-id': input.imageId, 'shutter-execution': executionNameOf(input.executionId) },
  });
  let review: QuarantineOutput['review'];
  if (input.taskToken) {
    review = { bucket: deps.buckets.quarantine, key: reviewKey(executionNameOf(input.executionId)) };
    const record = {
      executionId: input.executionId,
      imageId: input.imageId,
      source: input.source,
      quarantine,
      labels: input.moderation.labels,
      taskToken: input.taskToken,
      requestedAt: deps.now().toISOString(),
    };
    await deps.storage.put(review.bucket, review.key, Buffer.from(JSON.stringify(record, null, 2)), { contentType: 'application/json' });
  }
  await deps.events.publish([
    workflowEvent('image.moderation.flagged', {
      executionId: input.executionId,
      imageId: input.imageId,
      time: deps.now(),
      data: {
        image: { bucket: input.source.bucket, key: input.source.key },
        execution_id: input.executionId,
        labels: input.moderation.labels.map((label) => ({
          name: label.name,
          confidence: label.confidence,
          ...(label.parentName ? { parent: label.parentName } : {}),
        })),
        action: input.taskToken ? 'review' : 'quarantine',
      },
    }),
  ]);
  return { quarantine, ...(review ? { review } : {}) };
}

export const handler = withTaskMiddleware(run, { task: 'quarantine', input: QuarantineInput });

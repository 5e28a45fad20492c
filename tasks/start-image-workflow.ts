/**
 * StartImageWorkflow: starts the image workflow for one object, named after its bucket, key
 * and ETag (a repeat starts nothing). The backfill's Map invokes it per object; in AWS the S3
 * `Object Created` EventBridge rule invokes it too (EventBridge cannot name an execution).
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { BucketName, ObjectKey } from '../core/image-request.js';
import { startImageExecution } from './image-execution.js';
import type { TaskDeps } from './task-deps.js';
import { withTaskMiddleware } from './with-task-middleware.js';

const Direct = z.object({ bucket: BucketName, key: ObjectKey, etag: z.string().max(256).optional(), set: z.string().max(64).optional() });
/** EventBridge's S3 "Object Created" event (keys arrive URL-encoded only in S3's own notifications, not here). */
const ObjectCreated = z
  .object({
    'detail-type': z.literal('Object Created'),
    detail: z.object({ bucket: z.object({ name: BucketName }), object: z.object({ key: ObjectKey, etag: z.string().max(256).optional() }) }),
  })
  .transform((event) => ({ bucket: event.detail.bucket.name, key: event.detail.object.key, etag: event.detail.object.etag, set: undefined }));

export const StartImageWorkflowInput = z.union([ObjectCreated, Direct]);
export type StartImageWorkflowInput = z.infer<typeof StartImageWorkflowInput>;

export interface StartImageWorkflowOutput {
  executionArn: string;
  name: string;
  existing: boolean;
}

export async function run(input: StartImageWorkflowInput, deps: TaskDeps): Promise<StartImageWorkflowOutput> {
  if (!deps.engine) throw new ConfigError(['No workflow engine is configured to start image executions (IMAGE_STATE_MACHINE_ARN)']);
  const source = { bucket: input.bucket, key: input.key, ...(input.etag ? { etag: input.etag } : {}) };
  const started = await startImageExecution(deps.engine, deps.storage, source, { review: deps.review, ...(input.set ? { set: input.set } : {}) });
  return { executionArn: started.executionArn, name: started.name, existing: started.existing };
}

export const handler = withTaskMiddleware(run, { task: 'start-image-workflow', input: StartImageWorkflowInput });

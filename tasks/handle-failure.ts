/**
 * The failure path: every task's Catch lands here with Step Functions' `{ Error, Cause }`. It
 * publishes `image.workflow.failed` with the error's name and stable code, then the state
 * machine ends in a Fail state carrying the same error, so the execution shows FAILED.
 */
import { z } from 'zod';
import { parseWireMessage } from './middleware/map-errors.js';
import { SourceObject } from './task-input.js';
import type { TaskDeps } from './task-deps.js';
import { withTaskMiddleware } from './with-task-middleware.js';
import { durationSince, stateOfTask, workflowEvent } from './workflow-event.js';

export const HandleFailureInput = z.object({
  executionId: z.string().min(1),
  startedAt: z.iso.datetime({ offset: true }).optional(),
  // Optional: the failure may be that the execution's own input was unusable.
  imageId: z.string().optional(),
  source: SourceObject.partial().loose().optional(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
});
export type HandleFailureInput = z.infer<typeof HandleFailureInput>;

export interface HandleFailureOutput {
  error: string;
  code?: string;
  message: string;
}

/** The error message out of a Catch's Cause: Lambda's `{ errorMessage }` JSON in AWS, plain text locally. */
function messageOf(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the message itself
  }
  return cause;
}

export async function run(input: HandleFailureInput, deps: TaskDeps): Promise<HandleFailureOutput> {
  const { code, task, message } = parseWireMessage(messageOf(input.error.Cause));
  const failure: HandleFailureOutput = { error: input.error.Error, ...(code ? { code } : {}), message };
  const now = deps.now();
  await deps.events.publish([
    workflowEvent('image.workflow.failed', {
      executionId: input.executionId,
      imageId: input.imageId ?? 'unknown',
      time: now,
      data: {
        image: { bucket: input.source?.bucket || 'unknown', key: input.source?.key || 'unknown' },
        execution_id: input.executionId,
        state: task ? stateOfTask(task) : 'unknown',
        error: { name: input.error.Error || 'Error', code: code ?? input.error.Error ?? 'Unknown', message },
        duration_ms: durationSince(input.startedAt, now),
      },
    }),
  ]);
  return failure;
}

export const handler = withTaskMiddleware(run, { task: 'handle-failure', input: HandleFailureInput });

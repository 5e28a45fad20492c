/**
 * Moderate: asks the Analyzer for moderation labels and decides whether the image is flagged
 * (any label at or above the configured confidence). When no analyzer that can moderate is
 * configured (the analyzer answers 501), moderation is recorded as `unavailable` and the
 * workflow goes on: an image is never blocked, nor silently called safe, for want of a model.
 */
import type { z } from 'zod';
import { NotImplementedError } from '../core/errors.js';
import type { ModerationLabel } from '../core/ports/analyzer.js';
import { SourceObject, TaskIds } from './task-input.js';
import type { TaskDeps } from './task-deps.js';
import { withTaskMiddleware } from './with-task-middleware.js';

export const ModerateInput = TaskIds.extend({ source: SourceObject });
export type ModerateInput = z.infer<typeof ModerateInput>;

export interface ModerateOutput {
  /** `flagged` goes to quarantine; `passed` and `unavailable` go on. */
  status: 'passed' | 'flagged' | 'unavailable';
  /** Labels at or above `minConfidence`. */
  labels: ModerationLabel[];
  minConfidence: number;
  analyzer: string;
  /** Why moderation did not run, when `unavailable`. */
  reason?: string;
}

export async function run(input: ModerateInput, deps: TaskDeps, { signal }: { signal: AbortSignal }): Promise<ModerateOutput> {
  const minConfidence = deps.minModerationConfidence;
  const { body } = await deps.storage.get(input.source.bucket, input.source.key, { maxBytes: deps.limits.maxSourceBytes, signal });
  try {
    const result = await deps.analyzer.moderate(body, { minConfidence, signal });
    const labels = result.labels.filter((label) => label.confidence >= minConfidence);
    return { status: labels.length ? 'flagged' : 'passed', labels, minConfidence, analyzer: result.analyzer };
  } catch (error) {
    if (!(error instanceof NotImplementedError)) throw error;
    return { status: 'unavailable', labels: [], minConfidence, analyzer: deps.analyzer.name, reason: error.message };
  }
}

export const handler = withTaskMiddleware(run, { task: 'moderate', input: ModerateInput });

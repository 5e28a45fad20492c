/** The workflow API's answers (console/server/workflow-routes.ts), shaped like Step Functions' (core/ports/workflow-engine.ts). */
import type { ExecutionDescription, ExecutionStatus, ExecutionSummary } from '../../../core/ports/workflow-engine.js';
import type { HistoryEvent } from './state-runs.js';

export type { ExecutionDescription, ExecutionStatus, ExecutionSummary };
export { TERMINAL_STATUSES } from '../../../core/ports/workflow-engine.js';

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
export const REDRIVABLE_STATUSES: readonly ExecutionStatus[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];

export interface ExecutionDetail extends ExecutionDescription {
  history: HistoryEvent[];
}

export interface ExecutionList {
  executions: ExecutionSummary[];
  cursor?: string;
}

/** The route of one execution (by ARN, encoded as one path segment), or of an action on it. */
export function executionApiPath(executionArn: string, action?: 'redrive' | 'stop' | 'decision'): string {
  return `/api/executions/${encodeURIComponent(executionArn)}${action ? `/${action}` : ''}`;
}

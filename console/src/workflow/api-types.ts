/** The workflow API's answers, shaped like Step Functions' (see core/ports/workflow-engine.ts). */
import type { HistoryEvent } from './state-runs.js';

export type ExecutionStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
export const REDRIVABLE_STATUSES: readonly ExecutionStatus[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];

export interface ExecutionSummary {
  executionArn: string;
  name: string;
  workflow: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate?: string;
  redriveCount: number;
}

export interface ExecutionDescription extends ExecutionSummary {
  input: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
}

export interface ExecutionDetail extends ExecutionDescription {
  history: HistoryEvent[];
}

export interface ExecutionList {
  executions: ExecutionSummary[];
  cursor?: string;
}

/** The route of one execution: its ARN, encoded as one path segment. */
export function executionApiPath(executionArn: string, action?: 'redrive' | 'stop'): string {
  return `/api/executions/${encodeURIComponent(executionArn)}${action ? `/${action}` : ''}`;
}

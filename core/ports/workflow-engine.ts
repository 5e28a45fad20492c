/**
 * Runs state machines and answers what operators ask about their executions. Locally: the very
 * ASL that CDK renders, interpreted in process, with history in SQLite; in AWS: Step Functions.
 * Shapes follow Step Functions' API (DescribeExecution, ListExecutions, GetExecutionHistory),
 * so the console and the routes read the same thing from either adapter.
 *
 * Errors: an unknown execution is a `NotFoundError` (code `ExecutionDoesNotExist`); a redrive
 * or stop that the execution's status does not allow is a `RequestError` (409); an unknown or
 * finished task token is a `NotFoundError` (code `TaskDoesNotExist`).
 */

/**
 * Step Functions' statuses; `QUEUED` is the local engine's own: accepted, waiting for a slot
 * (in AWS an accepted execution is RUNNING at once).
 */
export type ExecutionStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

export interface ExecutionSummary {
  executionArn: string;
  /** Unique per state machine; the image workflow derives it from bucket, key and ETag. */
  name: string;
  /** The workflow's name (`image`, `backfill`). */
  workflow: string;
  status: ExecutionStatus;
  /** ISO 8601. */
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

/**
 * One event of an execution's history, shaped like GetExecutionHistory's `HistoryEvent`:
 * `type` is one of Step Functions' event types (`TaskStateEntered`, `TaskSucceeded`,
 * `MapIterationStarted`, ...) and exactly one `…EventDetails` member carries its details.
 */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  /** ISO 8601. */
  timestamp: string;
  type: string;
  [details: `${string}EventDetails`]: Record<string, unknown> | undefined;
}

export interface StartResult {
  executionArn: string;
  startDate: string;
  /** True when an execution of that name already existed: nothing new was started. */
  existing: boolean;
}

export interface ListOptions {
  workflow?: string;
  status?: ExecutionStatus;
  /** Keeps executions whose name starts with this. */
  prefix?: string;
  limit?: number;
  cursor?: string;
}

export interface WorkflowEngine {
  /** Starts an execution, or returns the existing one of that name (idempotent by name). */
  start(workflow: string, options: { name: string; input: unknown }): Promise<StartResult>;
  describe(executionArn: string): Promise<ExecutionDescription>;
  list(options?: ListOptions): Promise<{ executions: ExecutionSummary[]; cursor?: string }>;
  history(executionArn: string, options?: { limit?: number; cursor?: string; reverse?: boolean }): Promise<{ events: HistoryEvent[]; cursor?: string }>;
  /** Runs a failed, aborted or timed-out execution again from where it failed. */
  redrive(executionArn: string): Promise<{ redriveDate: string }>;
  stop(executionArn: string, options?: { error?: string; cause?: string }): Promise<{ stopDate: string }>;
  /** Completes a task waiting for a token (the moderation decision) with `output`. */
  sendTaskSuccess(taskToken: string, output: unknown): Promise<void>;
  sendTaskFailure(taskToken: string, options: { error: string; cause?: string }): Promise<void>;
  /** The ARN an execution of `workflow` named `name` has (or would have). */
  executionArn(workflow: string, name: string): string;
  close(): Promise<void>;
}

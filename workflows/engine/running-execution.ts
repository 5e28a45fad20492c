/** An execution this engine is running, as the scheduler and the task calls share it. */
import type { ExecutionRow, SqliteExecutionStore } from './sqlite-execution-store.js';
import { TaskError } from './task-error.js';

export interface RunningExecution {
  row: ExecutionRow;
  /** Aborted when the execution is stopped or the engine shuts down: tasks see it as their signal. */
  controller: AbortController;
  /** Aborts the interpreter's run, once it has started. */
  abort?: () => void;
  /** Settles when the run has ended and its status is recorded. */
  done: Promise<void>;
  /** Task calls in flight, so a shutdown can wait for them. */
  tasks: Set<Promise<unknown>>;
}

/** Before each task: ends the execution here when it was stopped, in this process or another. */
export function assertStillRunning(store: SqliteExecutionStore, running: RunningExecution): void {
  running.controller.signal.throwIfAborted();
  const current = store.db.isOpen ? store.get(running.row.arn) : undefined;
  if (current?.status !== 'RUNNING') {
    // Stopped from another process: end here, before doing more work.
    running.controller.abort();
    running.abort?.();
    throw new TaskError('States.Runtime', 'The execution was stopped.');
  }
}

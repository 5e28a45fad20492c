/**
 * Feeds the workflow gauges of `/metrics` from the local engine's history: executions by status
 * and the queue of accepted uploads waiting for a slot. Read from SQLite on a timer (one
 * GROUP BY), so every process sharing the history reports the same numbers.
 */
import type { SqliteExecutionStore } from './engine/sqlite-execution-store.js';
import { workflowExecutions, workflowQueueDepth } from '../core/observability/metrics.js';
import type { ExecutionStatus } from '../core/ports/workflow-engine.js';

const STATUSES: readonly ExecutionStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];

/** Sets the gauges now and every `intervalMs`; returns the function that stops it. */
export function reportWorkflowMetrics(store: Pick<SqliteExecutionStore, 'counts'>, intervalMs = 5000): () => void {
  const report = () => {
    const counts = store.counts();
    for (const status of STATUSES) workflowExecutions.set({ status }, counts[status] ?? 0);
    workflowQueueDepth.set(counts.QUEUED ?? 0);
  };
  report();
  const timer = setInterval(() => {
    try {
      report();
    } catch {
      // The store is closing: the next start reports again.
    }
  }, intervalMs).unref();
  return () => clearInterval(timer);
}

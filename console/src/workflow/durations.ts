/**
 * One definition of an execution's durations, used everywhere the console shows one (and by
 * `shutter executions`, which prints "ran" as `running`):
 *
 * - **queued**: from the start request to the first state (local engine: waiting for a slot);
 * - **running**: from the first state to the end (or now), review waits included;
 * - **total**: from the start request to the end (or now).
 *
 * The run begins at the history's `ExecutionStarted` (or the latest `ExecutionRedriven`'s
 * first run); without one (still queued) nothing has run.
 */
import type { HistoryEvent } from './state-runs.js';

export interface Durations {
  queuedMs: number | undefined;
  runningMs: number | undefined;
  totalMs: number;
}

export function durationsOf(execution: { startDate: string; stopDate?: string | undefined; history: readonly HistoryEvent[] }, now = Date.now()): Durations {
  const start = Date.parse(execution.startDate);
  const end = execution.stopDate ? Date.parse(execution.stopDate) : now;
  const began = execution.history.find((event) => event.type === 'ExecutionStarted');
  const runStart = began ? Date.parse(began.timestamp) : undefined;
  return {
    queuedMs: runStart === undefined ? (execution.stopDate ? undefined : Math.max(0, now - start)) : Math.max(0, runStart - start),
    runningMs: runStart === undefined ? undefined : Math.max(0, end - runStart),
    totalMs: Math.max(0, end - start),
  };
}

/** Milliseconds as the console writes them: 3 ms, 11.4 s, 2 min 5 s. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * What a succeeded execution actually did, when it ended in a Succeed state other than the
 * normal end: `Rejected`, `Quarantined`. Step Functions calls all of them SUCCEEDED.
 */
export function outcomeOf(history: readonly HistoryEvent[], succeedStates: ReadonlySet<string>): string | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const event = history[i]!;
    if (event.type !== 'SucceedStateEntered') continue;
    const name = (event.stateEnteredEventDetails as { name?: unknown } | undefined)?.name;
    if (typeof name === 'string' && succeedStates.has(name)) return name;
  }
  return undefined;
}

/**
 * An execution's history, shaped like Step Functions' GetExecutionHistory: the interpreter's
 * events translated to Step Functions' names, the engine's own task events, and the rows of
 * the store read back as `HistoryEvent`s.
 */
import type { HistoryEvent } from '../../core/ports/workflow-engine.js';
import type { EventRow, SqliteExecutionStore } from './sqlite-execution-store.js';

/** Records the next event of one execution's history. */
export type Emit = (type: string, details?: Record<string, unknown>) => void;

/** Appends one event; a no-op once the store is closed (an execution ending during shutdown). */
export function appendHistoryEvent(store: SqliteExecutionStore, seq: number, id: number, type: string, details?: Record<string, unknown>): void {
  if (!store.db.isOpen) return;
  store.appendEvent(seq, { id, previous_id: id - 1, ts: Date.now(), type, details: details ? JSON.stringify(details) : null });
}

/** An {@link Emit} that numbers the events of one execution on from its last recorded one. */
export function historyWriter(store: SqliteExecutionStore, seq: number): { emit: Emit; redriven: boolean } {
  let lastId = store.lastEventId(seq);
  const redriven = lastId > 0;
  const emit: Emit = (type, details) => {
    lastId++;
    appendHistoryEvent(store, seq, lastId, type, details);
  };
  return { emit, redriven };
}

/** A stored row as GetExecutionHistory answers it. */
export function historyEventOf(event: EventRow): HistoryEvent {
  const base = { id: event.id, previousEventId: event.previous_id, timestamp: new Date(event.ts).toISOString(), type: event.type };
  return (event.details ? { ...base, ...JSON.parse(event.details) } : base) as HistoryEvent;
}

/** An event of `aws-local-stepfunctions`' log. */
export interface LibEvent {
  type: string;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string };
  index?: number;
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}

/** The interpreter's events as Step Functions names them; task events come from the engine itself. */
export function translateEvent(
  event: LibEvent,
  context: { redriven: boolean; redriveCount: number; input: string },
): { type: string; details?: Record<string, unknown> } | undefined {
  const json = (value: unknown) => JSON.stringify(value ?? null);
  const cause = (value: unknown) => (value instanceof Error ? value.message : typeof value === 'string' ? value : json(value));
  switch (event.type) {
    case 'ExecutionStarted':
      return context.redriven
        ? { type: 'ExecutionRedriven', details: { executionRedrivenEventDetails: { redriveCount: context.redriveCount } } }
        : { type: 'ExecutionStarted', details: { executionStartedEventDetails: { input: context.input, inputDetails: { truncated: false } } } };
    case 'ExecutionSucceeded':
      return { type: 'ExecutionSucceeded', details: { executionSucceededEventDetails: { output: json(event.output) } } };
    case 'ExecutionFailed':
      return { type: 'ExecutionFailed', details: { executionFailedEventDetails: { error: event.Error, cause: cause(event.Cause) } } };
    case 'ExecutionAborted':
      return { type: 'ExecutionAborted', details: { executionAbortedEventDetails: {} } };
    case 'ExecutionTimeout':
      return { type: 'ExecutionTimedOut', details: { executionTimedOutEventDetails: { error: 'States.Timeout' } } };
    case 'StateEntered':
      return { type: `${event.state!.type}StateEntered`, details: { stateEnteredEventDetails: { name: event.state!.name, input: json(event.state!.input) } } };
    case 'StateExited':
      return { type: `${event.state!.type}StateExited`, details: { stateExitedEventDetails: { name: event.state!.name, output: json(event.state!.output) } } };
    case 'StateFailed':
      // Task failures are recorded by the engine as TaskFailed; only what it cannot see is added.
      if (event.state!.type === 'Task' && event.Error === 'States.Timeout') {
        return { type: 'TaskTimedOut', details: { taskTimedOutEventDetails: { error: event.Error, cause: cause(event.Cause) } } };
      }
      if (event.state!.type === 'Map') return { type: 'MapStateFailed', details: { mapStateFailedEventDetails: { error: event.Error, cause: cause(event.Cause) } } };
      return undefined;
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      return { type: event.type, details: { mapIterationEventDetails: { name: event.parentState!.name, index: event.index } } };
    default:
      return undefined; // StateRetried, StateCaught: Step Functions records these as Task events and transitions
  }
}

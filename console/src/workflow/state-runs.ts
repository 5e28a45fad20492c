/**
 * Reads an execution's history (GetExecutionHistory's events) into what happened to each
 * state: its outcome, input and output, error and cause, task attempts and Map iterations.
 *
 * Each event is tied to its state by following `previousEventId` back to the state's
 * `…StateEntered` event, as Step Functions chains them (inside a Map, every iteration is its
 * own chain), or by the state name it carries. A redrive starts over for the states that
 * failed; states that succeeded before keep their result.
 */

/** One event as the workflow API returns it (the port's `HistoryEvent`). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: string;
  type: string;
  [details: string]: unknown;
}

export type Outcome = 'not-run' | 'running' | 'waiting' | 'succeeded' | 'caught' | 'failed' | 'aborted';

export interface StateVisit {
  enteredEventId: number;
  enteredAt: string;
  exitedAt?: string;
  outcome: Exclude<Outcome, 'not-run'>;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  /** Task attempts (1 + retries). */
  attempts: number;
}

export interface StateRun {
  name: string;
  outcome: Outcome;
  /** Every entry into the state: one per Map iteration, one more per redrive. */
  visits: StateVisit[];
  /** For a Map state: its iterations by result. */
  iterations?: { started: number; succeeded: number; failed: number };
}

export interface ExecutionRun {
  states: Map<string, StateRun>;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
}

const ENTERED = /StateEntered$/;
const EXITED = /StateExited$/;
/** Events that end one attempt of a task in failure (the state may still retry or catch). */
const ATTEMPT_FAILED = /^(Task|LambdaFunction|Activity)(Failed|TimedOut|StartFailed|SubmitFailed|ScheduleFailed)$|^(Map|Parallel)StateFailed$/;
const ATTEMPT_SUCCEEDED = /^(Task|LambdaFunction|Activity)Succeeded$|^(Map|Parallel)StateSucceeded$/;
const ATTEMPT_SCHEDULED = /^(TaskScheduled|LambdaFunctionScheduled|ActivityScheduled)$/;

/** The `…EventDetails` member of an event, whatever its type. */
export function detailsOf(event: HistoryEvent): Record<string, unknown> | undefined {
  for (const [name, value] of Object.entries(event)) {
    if (name.endsWith('EventDetails') && value && typeof value === 'object') return value as Record<string, unknown>;
  }
  return undefined;
}

/** JSON in history is a string, as in Step Functions; shown parsed when it parses. */
export function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * @param waitingStates states that wait for a task token (`.waitForTaskToken`): while open, they are `waiting`.
 */
export function readHistory(events: readonly HistoryEvent[], waitingStates: ReadonlySet<string> = new Set()): ExecutionRun {
  const sorted = [...events].sort((a, b) => a.id - b.id);
  const byId = new Map(sorted.map((event) => [event.id, event]));
  const visitOfEntered = new Map<number, { run: StateRun; visit: StateVisit; lastAttempt?: 'ok' | 'error' }>();
  const states = new Map<string, StateRun>();
  const execution: ExecutionRun = { states };
  const open: number[] = [];
  /** States that had succeeded before the latest redrive: entering one again replays it (same result), not a second run. */
  let replayed = new Set<string>();

  const runOf = (name: string): StateRun => {
    let run = states.get(name);
    if (!run) states.set(name, (run = { name, outcome: 'not-run', visits: [] }));
    return run;
  };
  /**
   * The open visit an event belongs to: the state its previousEventId chain leads back to, when
   * that visit is still open (and has the event's state name, when the event names one); else
   * the oldest open visit of that name, or the most recent open visit. Histories whose events
   * simply chain one after the other (the local engine's) land on the right state this way too.
   */
  const visitFor = (event: HistoryEvent, name: string | undefined): number | undefined => {
    const isOpen = (id: number) => open.includes(id) && (name === undefined || visitOfEntered.get(id)?.run.name === name);
    let current = byId.get(event.previousEventId);
    for (let hops = 0; current && hops < 10_000; hops++) {
      if (ENTERED.test(current.type)) {
        if (isOpen(current.id)) return current.id;
        break;
      }
      current = byId.get(current.previousEventId);
    }
    if (name !== undefined) return open.find(isOpen);
    return open[open.length - 1];
  };
  const close = (enteredId: number) => {
    const index = open.lastIndexOf(enteredId);
    if (index !== -1) open.splice(index, 1);
  };

  for (const event of sorted) {
    const details = detailsOf(event) ?? {};
    if (event.type === 'ExecutionStarted') {
      execution.input = parseJson(details.input);
    } else if (event.type === 'ExecutionSucceeded') {
      execution.output = parseJson(details.output);
    } else if (/^Execution(Failed|TimedOut|Aborted)$/.test(event.type)) {
      execution.error = stringOf(details.error) ?? (event.type === 'ExecutionTimedOut' ? 'States.Timeout' : undefined);
      execution.cause = stringOf(details.cause);
      for (const enteredId of open.splice(0)) {
        const entry = visitOfEntered.get(enteredId)!;
        entry.visit.outcome = event.type === 'ExecutionAborted' ? 'aborted' : 'failed';
        entry.visit.exitedAt = event.timestamp;
        entry.visit.error ??= execution.error;
        entry.visit.cause ??= execution.cause;
      }
    } else if (event.type === 'ExecutionRedriven') {
      execution.error = undefined;
      execution.cause = undefined;
      // Failed visits are tried again: they no longer decide the state's outcome.
      for (const run of states.values()) run.visits = run.visits.filter((visit) => visit.outcome !== 'failed' && visit.outcome !== 'aborted');
      replayed = new Set([...states.values()].filter((run) => run.visits.length > 0).map((run) => run.name));
    } else if (ENTERED.test(event.type)) {
      const name = String(details.name ?? '');
      const run = runOf(name);
      // The redrive walks through what had succeeded again: this entry stands for it, once.
      if (replayed.delete(name)) run.visits = [];
      const visit: StateVisit = { enteredEventId: event.id, enteredAt: event.timestamp, outcome: 'running', input: parseJson(details.input), attempts: 0 };
      if (event.type === 'MapStateEntered') run.iterations = { started: 0, succeeded: 0, failed: 0 };
      run.visits.push(visit);
      visitOfEntered.set(event.id, { run, visit });
      open.push(event.id);
      if (event.type === 'FailStateEntered') {
        visit.outcome = 'failed';
        visit.error = stringOf(details.error);
        visit.cause = stringOf(details.cause);
      }
    } else if (/^MapIteration/.test(event.type)) {
      // Iteration events name their Map state.
      const iterations = states.get(String(details.name ?? ''))?.iterations;
      if (!iterations) continue;
      if (event.type === 'MapIterationStarted') iterations.started++;
      else if (event.type === 'MapIterationSucceeded') iterations.succeeded++;
      else if (event.type === 'MapIterationFailed' || event.type === 'MapIterationAborted') iterations.failed++;
    } else {
      const enteredId = visitFor(event, EXITED.test(event.type) ? String(details.name ?? '') : undefined);
      const entry = enteredId === undefined ? undefined : visitOfEntered.get(enteredId);
      if (!entry) continue;
      const { visit } = entry;
      if (EXITED.test(event.type)) {
        visit.output = parseJson(details.output);
        visit.exitedAt = event.timestamp;
        if (visit.outcome !== 'failed') visit.outcome = entry.lastAttempt === 'error' ? 'caught' : 'succeeded';
        close(enteredId!);
      } else if (ATTEMPT_SCHEDULED.test(event.type)) {
        visit.attempts++;
      } else if (ATTEMPT_FAILED.test(event.type)) {
        entry.lastAttempt = 'error';
        visit.error = stringOf(details.error) ?? visit.error;
        visit.cause = stringOf(details.cause) ?? visit.cause;
      } else if (ATTEMPT_SUCCEEDED.test(event.type)) {
        entry.lastAttempt = 'ok';
      }
    }
  }

  for (const run of states.values()) run.outcome = outcomeOf(run, waitingStates.has(run.name));
  return execution;
}

/** One visit decides a plain state; across Map iterations, any failure or open visit shows. */
function outcomeOf(run: StateRun, waitsForToken: boolean): Outcome {
  if (run.visits.length === 0) return 'not-run';
  const outcomes = new Set(run.visits.map((visit) => visit.outcome));
  for (const outcome of ['running', 'failed', 'aborted', 'caught'] as const) {
    if (outcomes.has(outcome)) return outcome === 'running' && waitsForToken ? 'waiting' : outcome;
  }
  return 'succeeded';
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * One execution, as the Step Functions console shows it: the state graph coloured by outcome
 * (or the same states as a table, or the ASL definition), the selected state's input, output,
 * error and cause, the execution's own input, output and failure, its event history, the
 * redrive and stop actions, and a JSON export of it all.
 */
import { useMemo, useState } from 'preact/hooks';
import { api, ApiError, type Session } from '../api.js';
import { JsonView } from '../components/json-view.js';
import { OUTCOME_LABELS, StateGraph } from '../components/state-graph.js';
import { StatusBadge } from '../components/status-badge.js';
import { StateTable } from '../components/state-table.js';
import { formatDuration, formatTime } from '../format.js';
import { durationsOf, formatMs, outcomeOf } from '../workflow/durations.js';
import { usePolling } from '../polling.js';
import { href } from '../route.js';
import { executionApiPath, REDRIVABLE_STATUSES, TERMINAL_STATUSES, type ExecutionDetail, type ExecutionList } from '../workflow/api-types.js';
import { allStates, waitsForTaskToken, type AslStateMachine } from '../workflow/asl.js';
import { detailsOf, readHistory, type HistoryEvent, type StateRun } from '../workflow/state-runs.js';

const REFRESH_MS = 2000;

type View = 'graph' | 'table' | 'definition';
const VIEWS: Array<[View, string]> = [
  ['graph', 'Graph'],
  ['table', 'Table'],
  ['definition', 'Definition'],
];

export function ExecutionPage({ id, session }: { id: string; session: Session }) {
  const [selected, setSelected] = useState<string>();
  const [view, setView] = useState<View>('graph');
  const [actionError, setActionError] = useState<string>();
  // Polls until the execution ends: after that its history no longer changes (until a redrive).
  const [finished, setFinished] = useState(false);
  const execution = usePolling(
    async (signal) => {
      const value = await api.get<ExecutionDetail>(executionApiPath(id), signal);
      setFinished(TERMINAL_STATUSES.includes(value.status));
      return value;
    },
    finished ? undefined : REFRESH_MS,
    [id],
  );
  const detail = execution.data;
  const workflow = detail?.workflow;
  const definition = usePolling(
    (signal) => (workflow ? api.get<AslStateMachine>(`/api/workflows/${encodeURIComponent(workflow)}/definition`, signal) : Promise.resolve(undefined)),
    undefined,
    [workflow],
  );
  const waiting = useMemo(() => {
    if (!definition.data) return new Set<string>();
    return new Set([...allStates(definition.data)].filter(([, state]) => waitsForTaskToken(state)).map(([name]) => name));
  }, [definition.data]);
  const run = useMemo(() => readHistory(detail?.history ?? [], waiting), [detail?.history, waiting]);
  const succeedStates = useMemo(
    () => new Set(definition.data ? [...allStates(definition.data)].filter(([, state]) => state.Type === 'Succeed').map(([name]) => name) : []),
    [definition.data],
  );

  if (execution.error && !detail) return <p class="error-box">{execution.error.message}</p>;
  if (!detail) return <p class="muted">Loading…</p>;

  const focus = selected ?? defaultFocus(run.states, definition.data);
  const act = async (action: 'redrive' | 'stop') => {
    const verb = action === 'stop' ? 'Stop' : 'Redrive';
    if (!confirm(`${verb} execution ${detail.name}?`)) return;
    setActionError(undefined);
    try {
      await api.post(executionApiPath(detail.executionArn, action));
      setFinished(false);
      execution.reload();
    } catch (failure) {
      setActionError(failure instanceof ApiError ? `${failure.code}: ${failure.message}` : String(failure));
    }
  };
  const source = sourceOf(detail.input);
  const durations = durationsOf(detail);
  const ending = detail.status === 'SUCCEEDED' ? outcomeOf(detail.history, succeedStates) : undefined;
  const exportJson = () => {
    const blob = new Blob([JSON.stringify({ execution: detail, definition: definition.data }, null, 2)], { type: 'application/json' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `${detail.name}.json`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  };
  const awsLink = session.aws && detail.executionArn.startsWith('arn:aws:states:') ? stepFunctionsLink(detail.executionArn) : undefined;

  return (
    <section class="execution" data-status={detail.status}>
      <p class="crumbs">
        <a href={href(['executions'])}>Executions</a> / {detail.workflow}
      </p>
      <div class="page-header">
        <h1 class="wrap">{detail.name}</h1>
        <div class="actions">
          {(detail.status === 'RUNNING' || detail.status === 'QUEUED') && (
            <button type="button" class="danger" onClick={() => act('stop')}>
              Stop
            </button>
          )}
          {REDRIVABLE_STATUSES.includes(detail.status) && (
            <button type="button" class="primary" onClick={() => act('redrive')}>
              Redrive
            </button>
          )}
          <button type="button" class="secondary" onClick={exportJson}>
            Export JSON
          </button>
          {awsLink && (
            <a class="button secondary" href={awsLink} target="_blank" rel="noreferrer noopener">
              Open in AWS console
            </a>
          )}
        </div>
      </div>
      {actionError && <p class="error-box">{actionError}</p>}
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={detail.status} />
            {ending && (
              <span class={`badge ending-${ending.toLowerCase()}`} data-ending={ending} title={`Ended in the ${ending} state`}>
                {ending}
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatTime(detail.startDate)}</dd>
        </div>
        <div>
          <dt>Ended</dt>
          <dd>{formatTime(detail.stopDate)}</dd>
        </div>
        <div>
          <dt title="From the start request to the first state">Queued</dt>
          <dd data-duration="queued">{formatMs(durations.queuedMs)}</dd>
        </div>
        <div>
          <dt title="From the first state to the end">Running</dt>
          <dd data-duration="running">{formatMs(durations.runningMs)}</dd>
        </div>
        <div>
          <dt title="Queued and running">Total</dt>
          <dd data-duration="total">{formatMs(durations.totalMs)}</dd>
        </div>
        <div>
          <dt>Redrives</dt>
          <dd>{detail.redriveCount}</dd>
        </div>
        {source && (
          <div>
            <dt>Image</dt>
            <dd>
              <a href={href(['images', source.bucket, source.key])}>
                {source.bucket}/{source.key}
              </a>
            </dd>
          </div>
        )}
      </dl>
      {(detail.error || detail.cause) && (
        <div class="error-box execution-error">
          <strong>{detail.error}</strong>
          {detail.cause && <pre>{prettyCause(detail.cause)}</pre>}
        </div>
      )}
      <div class="execution-body">
        <div class="card graph-card">
          <div class="tabs" role="tablist" aria-label="Execution views">
            {VIEWS.map(([key, label]) => (
              <button key={key} type="button" role="tab" id={`tab-${key}`} aria-selected={view === key} aria-controls="execution-view" class={view === key ? 'tab active' : 'tab'} onClick={() => setView(key)}>
                {label}
              </button>
            ))}
          </div>
          <div id="execution-view" role="tabpanel" aria-labelledby={`tab-${view}`}>
            {!definition.data ? (
              <p class="muted">{definition.error ? `No definition: ${definition.error.message}` : 'Loading the definition…'}</p>
            ) : view === 'graph' ? (
              <StateGraph definition={definition.data} runs={run.states} selected={focus} onSelect={setSelected} />
            ) : view === 'table' ? (
              <StateTable definition={definition.data} runs={run.states} selected={focus} onSelect={setSelected} />
            ) : (
              <JsonView value={definition.data} />
            )}
          </div>
        </div>
        <div class="card state-card">
          <StatePanel name={focus} run={focus ? run.states.get(focus) : undefined} />
          {focus && run.states.get(focus)?.outcome === 'waiting' && (
            <DecisionBox executionArn={detail.executionArn} onDecided={() => (setFinished(false), execution.reload())} />
          )}
        </div>
      </div>
      {detail.workflow === 'backfill' && <BackfillChildren input={detail.input} running={!finished} />}
      <div class="two-columns">
        <div class="card">
          <h2>Execution input</h2>
          <JsonView value={detail.input} />
        </div>
        <div class="card">
          <h2>Execution output</h2>
          <JsonView value={detail.output} empty={finished ? 'None' : 'Not finished yet'} />
        </div>
      </div>
      <div class="card">
        <h2>Event history ({detail.history.length})</h2>
        <EventTable events={detail.history} start={detail.startDate} />
      </div>
    </section>
  );
}

/**
 * A backfill's children: the image executions of the uploads under its prefix (the ones it
 * started, and those that had already run, which it found by name and did not start again).
 */
function BackfillChildren({ input, running }: { input: unknown; running: boolean }) {
  const prefix = typeof (input as { prefix?: unknown })?.prefix === 'string' ? (input as { prefix: string }).prefix : '';
  const children = usePolling(
    (signal) => api.get<ExecutionList>(`/api/executions?${new URLSearchParams({ workflow: 'image', limit: '200', ...(prefix ? { prefix } : {}) })}`, signal),
    running ? REFRESH_MS : undefined,
    [prefix, running],
  );
  const executions = children.data?.executions ?? [];
  const counts = new Map<string, number>();
  for (const execution of executions) counts.set(execution.status, (counts.get(execution.status) ?? 0) + 1);
  return (
    <div class="card backfill-children" data-children={executions.length}>
      <h2>
        Image executions under <code>{prefix || '(every upload)'}</code> ({executions.length}
        {children.data?.cursor ? '+' : ''})
      </h2>
      <p class="muted">
        {[...counts].map(([status, count]) => `${count} ${status.toLowerCase()}`).join(' · ') || (children.data ? 'None yet.' : 'Loading…')}
      </p>
      {executions.length > 0 && (
        <div class="table-scroll">
          <table class="table compact">
            <caption class="sr-only">Image executions of the uploads under the backfill's prefix</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col" title="From the start request to the end: queued and running">Total time</th>
              </tr>
            </thead>
            <tbody>
              {executions.map((execution) => (
                <tr key={execution.executionArn} data-child={execution.name}>
                  <td class="wrap">
                    <a href={href(['executions', execution.executionArn])}>{execution.name}</a>
                  </td>
                  <td>
                    <StatusBadge status={execution.status} />
                  </td>
                  <td>{formatTime(execution.startDate)}</td>
                  <td>{formatDuration(execution.startDate, execution.stopDate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function StatePanel({ name, run }: { name: string | undefined; run: StateRun | undefined }) {
  if (!name) return <p class="muted">Select a state in the graph to see its input, output and errors.</p>;
  const visit = run?.visits[run.visits.length - 1];
  return (
    <div class="state-panel" data-selected-state={name}>
      <h2>{name}</h2>
      <p>
        <span class={`outcome-pill outcome-${run?.outcome ?? 'not-run'}`}>{OUTCOME_LABELS[run?.outcome ?? 'not-run']}</span>
        {visit && visit.attempts > 1 && <span class="muted"> · {visit.attempts} attempts</span>}
        {run?.iterations && run.iterations.started > 0 && (
          <span class="muted">
            {' '}
            · {run.iterations.succeeded} of {run.iterations.started} iterations succeeded{run.iterations.failed ? `, ${run.iterations.failed} failed` : ''}
          </span>
        )}
        {run && run.visits.length > 1 && !run.iterations && <span class="muted"> · entered {run.visits.length} times (last shown)</span>}
      </p>
      {visit && (
        <p class="muted">
          {formatTime(visit.enteredAt)} · {formatDuration(visit.enteredAt, visit.exitedAt)}
        </p>
      )}
      {(visit?.error || visit?.cause) && (
        <div class="error-box">
          <strong>{visit.error}</strong>
          {visit.cause && <pre>{prettyCause(visit.cause)}</pre>}
        </div>
      )}
      <h3>Input</h3>
      <JsonView value={visit?.input} empty={run ? 'None' : 'Not run'} />
      <h3>Output</h3>
      <JsonView value={visit?.output} empty={visit && !visit.exitedAt ? 'Not finished' : 'None'} />
    </div>
  );
}

/** The operator's answer to a flagged image, right where the workflow waits for it. */
function DecisionBox({ executionArn, onDecided }: { executionArn: string; onDecided: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const decide = async (approved: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post(executionApiPath(executionArn, 'decision'), { approved });
      onDecided();
    } catch (failure) {
      setError(failure instanceof ApiError ? `${failure.code}: ${failure.message}` : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="decision-box">
      <p>Moderation flagged this image: approve to render and publish it, reject to keep it in quarantine.</p>
      {error && <p class="error-box">{error}</p>}
      <div class="actions">
        <button type="button" class="primary" disabled={busy} onClick={() => decide(true)}>
          Approve
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => decide(false)}>
          Reject
        </button>
      </div>
    </div>
  );
}

function EventTable({ events, start }: { events: HistoryEvent[]; start: string }) {
  const started = new Date(start).getTime();
  const names = new Map<number, string>();
  const byId = new Map(events.map((event) => [event.id, event]));
  const nameOf = (event: HistoryEvent): string => {
    const own = detailsOf(event)?.name;
    if (typeof own === 'string' && /State(Entered|Exited)$/.test(event.type)) return own;
    const previous = byId.get(event.previousEventId);
    if (!previous || names.has(event.id)) return names.get(event.id) ?? '';
    const name = /StateExited$/.test(previous.type) ? '' : nameOf(previous);
    names.set(event.id, name);
    return name;
  };
  return (
    <table class="table events">
      <thead>
        <tr>
          <th>ID</th>
          <th>Type</th>
          <th>Step</th>
          <th>Elapsed</th>
          <th>Time</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => {
          const details = detailsOf(event);
          return (
            <tr key={event.id} class={/Failed|TimedOut|Aborted/.test(event.type) ? 'failed' : ''}>
              <td>{event.id}</td>
              <td>{event.type}</td>
              <td>{nameOf(event)}</td>
              <td>{Math.max(0, new Date(event.timestamp).getTime() - started)} ms</td>
              <td>{formatTime(event.timestamp)}</td>
              <td>
                {details && (
                  <details>
                    <summary>{summaryOf(details)}</summary>
                    <JsonView value={details} />
                  </details>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function summaryOf(details: Record<string, unknown>): string {
  if (typeof details.error === 'string') return details.error;
  if (typeof details.resource === 'string') return details.resource.split(':').pop() ?? 'details';
  return 'details';
}

/**
 * Where to look first: the task that failed (not the Fail state the failure path ends in), the
 * state waiting or running, a caught error, and only then the Fail state.
 */
function defaultFocus(states: Map<string, StateRun>, definition: AslStateMachine | undefined): string | undefined {
  const types = definition ? allStates(definition) : new Map();
  const isFailState = (name: string) => types.get(name)?.Type === 'Fail';
  for (const outcome of ['failed', 'waiting', 'running', 'caught'] as const) {
    for (const run of states.values()) if (run.outcome === outcome && !isFailState(run.name)) return run.name;
  }
  for (const run of states.values()) if (run.outcome === 'failed') return run.name;
  return undefined;
}

function sourceOf(input: unknown): { bucket: string; key: string } | undefined {
  const source = (input as { source?: { bucket?: unknown; key?: unknown } } | undefined)?.source;
  return typeof source?.bucket === 'string' && typeof source.key === 'string' ? { bucket: source.bucket, key: source.key } : undefined;
}

/** Lambda causes are JSON (`{"errorType","errorMessage","trace"}`): shown indented. */
function prettyCause(cause: string): string {
  try {
    return JSON.stringify(JSON.parse(cause), null, 2);
  } catch {
    return cause;
  }
}

function stepFunctionsLink(executionArn: string): string {
  const region = executionArn.split(':')[3];
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

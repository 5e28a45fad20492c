/**
 * Executions: every workflow run, newest first, filtered by status, name prefix and start
 * time, refreshed every few seconds. Uploading an image here starts its workflow.
 */
import { useState } from 'preact/hooks';
import { api, ApiError, withQuery } from '../api.js';
import { StatusBadge } from '../components/status-badge.js';
import { DraftInput } from '../components/draft-input.js';
import { SelectField } from '../components/select-field.js';
import { formatDuration, formatTime } from '../format.js';
import { usePolling } from '../polling.js';
import { href, navigate, updateQuery } from '../route.js';
import { EXECUTION_STATUSES, type ExecutionList, type ExecutionSummary } from '../workflow/api-types.js';

const PERIODS: Record<string, { label: string; ms?: number }> = {
  '': { label: 'Any time' },
  '15m': { label: 'Last 15 minutes', ms: 15 * 60_000 },
  '1h': { label: 'Last hour', ms: 60 * 60_000 },
  '24h': { label: 'Last 24 hours', ms: 24 * 60 * 60_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 24 * 60 * 60_000 },
};
const PAGE_SIZE = 50;
const REFRESH_MS = 3000;

export function ExecutionsPage({ query }: { query: Record<string, string> }) {
  const status = query.status ?? '';
  const prefix = query.prefix ?? '';
  const period = query.since && PERIODS[query.since] ? query.since : '';
  const [older, setOlder] = useState<{ executions: ExecutionSummary[]; cursor?: string | undefined }>();
  const setFilter = (name: string, value: string) => {
    setOlder(undefined);
    updateQuery({ [name]: value });
  };

  const latest = usePolling(
    (signal) => api.get<ExecutionList>(withQuery('/api/executions', { status, prefix, limit: PAGE_SIZE }), signal),
    REFRESH_MS,
    [status, prefix],
  );
  const since = PERIODS[period]?.ms ? Date.now() - PERIODS[period].ms! : undefined;
  const seen = new Set<string>();
  const rows = [...(latest.data?.executions ?? []), ...(older?.executions ?? [])].filter((execution) => {
    if (seen.has(execution.executionArn)) return false;
    seen.add(execution.executionArn);
    return since === undefined || new Date(execution.startDate).getTime() >= since;
  });
  const cursor = older ? older.cursor : latest.data?.cursor;

  const loadMore = async () => {
    const page = await api.get<ExecutionList>(withQuery('/api/executions', { status, prefix, limit: PAGE_SIZE, cursor }));
    setOlder({ executions: [...(older?.executions ?? []), ...page.executions], cursor: page.cursor });
  };

  return (
    <section>
      <div class="page-header">
        <h1>Executions</h1>
        <UploadBox />
      </div>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <SelectField label="Status" name="status" value={status} options={[['', 'All'], ...EXECUTION_STATUSES]} onChange={(value) => setFilter('status', value)} />
        <label>
          Name starts with
          <DraftInput name="prefix" value={prefix} placeholder="e.g. uploads-cat" onCommit={(value) => setFilter('prefix', value.trim())} />
        </label>
        <label>
          Started
          <select name="since" value={period} onChange={(event) => setFilter('since', event.currentTarget.value)}>
            {Object.entries(PERIODS).map(([value, { label }]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <span class={`live ${latest.error ? 'stale' : ''}`} title={`Refreshed every ${REFRESH_MS / 1000} s`}>
          {latest.error ? 'Not refreshing' : 'Live'}
        </span>
      </form>
      {latest.error && <p class="error-box">{latest.error.message}</p>}
      <table class="table executions">
        <thead>
          <tr>
            <th>Name</th>
            <th>Workflow</th>
            <th>Status</th>
            <th>Started</th>
            <th title="From the start request to the end: queued and running">Total time</th>
            <th>Redrives</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((execution) => (
            <tr key={execution.executionArn} data-execution={execution.name}>
              <td class="name">
                <a href={href(['executions', execution.executionArn])}>{execution.name}</a>
              </td>
              <td>{execution.workflow}</td>
              <td>
                <StatusBadge status={execution.status} />
              </td>
              <td>{formatTime(execution.startDate)}</td>
              <td>{formatDuration(execution.startDate, execution.stopDate)}</td>
              <td>{execution.redriveCount || ''}</td>
            </tr>
          ))}
          {!latest.loading && rows.length === 0 && (
            <tr>
              <td colSpan={6} class="muted empty">
                No executions match. Upload an image to start one.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {cursor && (
        <button type="button" class="secondary" onClick={loadMore}>
          Load older executions
        </button>
      )}
    </section>
  );
}

/** Uploads an image (PUT /api/uploads/<key>); the workflow starts on it and we open its execution. */
function UploadBox() {
  const [message, setMessage] = useState<{ kind: 'error' | 'info'; text: string }>();
  const [busy, setBusy] = useState(false);
  const upload = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const file = (form.elements.namedItem('file') as HTMLInputElement).files?.[0];
    const folder = (form.elements.namedItem('folder') as HTMLInputElement).value.trim().replace(/^\/+|\/+$/g, '');
    if (!file) return;
    const key = folder ? `${folder}/${file.name}` : file.name;
    setBusy(true);
    setMessage(undefined);
    try {
      const started = await api.put<{ executionArn?: string; name?: string }>(
        `/api/uploads/${key.split('/').map(encodeURIComponent).join('/')}`,
        file,
        file.type || 'application/octet-stream',
      );
      form.reset();
      if (started?.executionArn) navigate(['executions', started.executionArn]);
      else setMessage({ kind: 'info', text: `Uploaded ${key}.` });
    } catch (failure) {
      setMessage({ kind: 'error', text: failure instanceof ApiError ? `${failure.code}: ${failure.message}` : String(failure) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="upload" onSubmit={upload}>
      <input name="folder" placeholder="folder (optional)" aria-label="Folder" />
      <input name="file" type="file" accept="image/*" aria-label="Image file" required />
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Uploading…' : 'Upload and process'}
      </button>
      {message && <span class={message.kind === 'error' ? 'error-text' : 'muted'}>{message.text}</span>}
    </form>
  );
}

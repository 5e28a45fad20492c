/**
 * `shutter executions [--status S] [--prefix P] [--limit N] [--json]`: the newest executions in
 * the local history; `shutter executions <name or ARN>`: one execution and its state-by-state
 * history. Reads the same SQLite store the server writes (safe while it runs).
 */
import path from 'node:path';
import { SqliteExecutionStore } from '../workflows/engine/sqlite-execution-store.js';
import { loadConfig } from '../core/config.js';
import { NotFoundError } from '../core/errors.js';
import { executionNamePrefix } from '../tasks/image-execution.js';
import type { ExecutionsOptions } from './program.js';
import { printTable } from './print-table.js';

/** `values` arrive validated (`bin/program.ts`): a known status, a limit within bounds. */
export async function executionsCommand(id: string | undefined, values: ExecutionsOptions): Promise<void> {
  const config = loadConfig(process.env);
  const store = new SqliteExecutionStore(path.join(config.dataDir, 'workflows', 'history.db'));
  try {
    if (id) {
      const row = id.startsWith('arn:') ? store.get(id) : store.list({ prefix: id, limit: 2 }).find((candidate) => candidate.name === id);
      if (!row) throw new NotFoundError('ExecutionDoesNotExist', `There is no execution "${id}".`);
      const events = store.events(row.seq, { afterId: 0, limit: 10_000, reverse: false });
      if (values.json) {
        console.log(JSON.stringify({ ...row, input: JSON.parse(row.input), output: row.output ? JSON.parse(row.output) : undefined, events }, null, 2));
        return;
      }
      console.log(`${row.name}  ${row.status}  ${row.workflow}  started ${new Date(row.start_ms).toISOString()}${row.stop_ms ? `  took ${row.stop_ms - (row.run_ms ?? row.start_ms)} ms` : ''}`);
      if (row.error) console.log(`  ${row.error}: ${row.cause ?? ''}`);
      for (const event of events) {
        const details = event.details ? (Object.values(JSON.parse(event.details))[0] as Record<string, unknown>) : {};
        const label = details.name ?? details.resource ?? details.error ?? '';
        console.log(`  ${String(event.id).padStart(4)}  ${new Date(event.ts).toISOString().slice(11, 23)}  ${event.type.padEnd(28)} ${String(label)}`);
      }
      return;
    }
    const rows = store.list({
      ...(values.status ? { status: values.status } : {}),
      ...(values.prefix ? { prefix: executionNamePrefix(values.prefix) } : {}),
      limit: values.limit,
    });
    if (values.json) {
      console.log(JSON.stringify(rows.map(({ input, output, ...row }) => ({ ...row, input: JSON.parse(input), output: output ? JSON.parse(output) : undefined }))));
      return;
    }
    const counts = store.counts();
    console.log(Object.entries(counts).map(([status, n]) => `${status} ${n}`).join('  ') || 'no executions yet');
    if (!rows.length) return;
    printTable(
      ['status', 'started', 'ran', 'name', 'error'],
      rows.map((row) => ({
        status: row.status,
        started: new Date(row.start_ms).toISOString(),
        // Run time, from the first state to the end (queue time excluded), as the console's "running".
        ran: row.stop_ms ? `${row.stop_ms - (row.run_ms ?? row.start_ms)} ms` : '',
        name: row.name,
        error: row.error ?? '',
      })),
    );
  } finally {
    store.close();
  }
}

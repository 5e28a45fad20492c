/**
 * The local engine's durable memory, in one SQLite file (Node's built-in `node:sqlite`):
 * executions (status, input, output, timings), their history events shaped like Step
 * Functions' GetExecutionHistory, the results of tasks that succeeded (so a redrive resumes
 * where the execution failed), and task tokens waiting for an operator.
 *
 * WAL mode with `synchronous=NORMAL`: a killed process loses nothing it committed; a power cut
 * may lose the last few milliseconds, which a restart redrives anyway.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type * as sqlite from 'node:sqlite';
import type { ExecutionStatus } from '../../core/ports/workflow-engine.js';

// node:sqlite is loaded through getBuiltinModule: test runners that resolve `node:` imports
// themselves do not know this scheme-only module yet.
const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as typeof sqlite;

export interface ExecutionRow {
  seq: number;
  arn: string;
  name: string;
  workflow: string;
  status: ExecutionStatus;
  input: string;
  output: string | null;
  error: string | null;
  cause: string | null;
  /** When it was accepted (ms since epoch). */
  start_ms: number;
  /** When it last began to run. */
  run_ms: number | null;
  stop_ms: number | null;
  redrive_count: number;
  /** Restarts survived while RUNNING. */
  recoveries: number;
  /** The engine that runs it, while RUNNING: `<pid>:<engine id>`. */
  owner: string | null;
}

export interface EventRow {
  id: number;
  previous_id: number;
  ts: number;
  type: string;
  details: string | null;
}

export interface TokenRow {
  token: string;
  seq: number;
  state: string;
  status: 'waiting' | 'succeeded' | 'failed';
  output: string | null;
  error: string | null;
  cause: string | null;
}

const SCHEMA = `
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA busy_timeout = 5000;
CREATE TABLE IF NOT EXISTS executions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  arn TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  workflow TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  cause TEXT,
  start_ms INTEGER NOT NULL,
  run_ms INTEGER,
  stop_ms INTEGER,
  redrive_count INTEGER NOT NULL DEFAULT 0,
  recoveries INTEGER NOT NULL DEFAULT 0,
  owner TEXT
);
CREATE INDEX IF NOT EXISTS executions_by_status ON executions (status, seq);
CREATE INDEX IF NOT EXISTS executions_by_name ON executions (name);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER NOT NULL,
  id INTEGER NOT NULL,
  previous_id INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  type TEXT NOT NULL,
  details TEXT,
  PRIMARY KEY (seq, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS task_results (
  seq INTEGER NOT NULL,
  state TEXT NOT NULL,
  input_hash TEXT NOT NULL,
  output TEXT NOT NULL,
  PRIMARY KEY (seq, state, input_hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS task_tokens (
  token TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  state TEXT NOT NULL,
  status TEXT NOT NULL,
  output TEXT,
  error TEXT,
  cause TEXT
);
`;

export class SqliteExecutionStore {
  readonly db: sqlite.DatabaseSync;
  private readonly statements = new Map<string, sqlite.StatementSync>();

  /** Opens (creating if needed) the history at `file`; `:memory:` for a throwaway store. */
  constructor(readonly file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new DatabaseSync(file);
    this.db.exec(SCHEMA);
  }

  private sql(text: string): sqlite.StatementSync {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Inserts a QUEUED execution; returns false when one with that ARN exists already. */
  insert(row: Pick<ExecutionRow, 'arn' | 'name' | 'workflow' | 'input' | 'start_ms'>): boolean {
    const result = this.sql(
      `INSERT OR IGNORE INTO executions (arn, name, workflow, status, input, start_ms) VALUES (?, ?, ?, 'QUEUED', ?, ?)`,
    ).run(row.arn, row.name, row.workflow, row.input, row.start_ms);
    return Number(result.changes) === 1;
  }

  get(arn: string): ExecutionRow | undefined {
    return this.sql(`SELECT * FROM executions WHERE arn = ?`).get(arn) as ExecutionRow | undefined;
  }

  /** The oldest queued execution: arrival order. */
  nextQueued(): ExecutionRow | undefined {
    return this.sql(`SELECT * FROM executions WHERE status = 'QUEUED' ORDER BY seq LIMIT 1`).get() as ExecutionRow | undefined;
  }

  /** Claims a queued execution for this process; false when another process took it first. */
  claim(seq: number, owner: string, now: number): boolean {
    const result = this.sql(
      `UPDATE executions SET status = 'RUNNING', owner = ?, run_ms = ?, stop_ms = NULL, error = NULL, cause = NULL WHERE seq = ? AND status = 'QUEUED'`,
    ).run(owner, now, seq);
    return Number(result.changes) === 1;
  }

  /** Ends a running execution; false when it is no longer running (stopped meanwhile). */
  finish(seq: number, status: ExecutionStatus, fields: { output?: string; error?: string; cause?: string }, now: number): boolean {
    const result = this.sql(
      `UPDATE executions SET status = ?, output = ?, error = ?, cause = ?, stop_ms = ?, owner = NULL WHERE seq = ? AND status = 'RUNNING'`,
    ).run(status, fields.output ?? null, fields.error ?? null, fields.cause ?? null, now, seq);
    return Number(result.changes) === 1;
  }

  /** Puts a running execution back in the queue (graceful shutdown: not a failure, not a redrive). */
  requeue(seq: number): void {
    this.sql(`UPDATE executions SET status = 'QUEUED', owner = NULL WHERE seq = ? AND status = 'RUNNING'`).run(seq);
  }

  /** Stops a queued or running execution; false when it had already ended. */
  stop(seq: number, error: string | null, cause: string | null, now: number): boolean {
    const result = this.sql(
      `UPDATE executions SET status = 'ABORTED', error = ?, cause = ?, stop_ms = ?, owner = NULL WHERE seq = ? AND status IN ('QUEUED', 'RUNNING')`,
    ).run(error, cause, now, seq);
    return Number(result.changes) === 1;
  }

  /** Queues an ended execution again; false when its status does not allow it. */
  redrive(seq: number, statuses: readonly ExecutionStatus[]): boolean {
    const placeholders = statuses.map(() => '?').join(', ');
    const result = this.sql(
      `UPDATE executions SET status = 'QUEUED', owner = NULL, redrive_count = redrive_count + 1, stop_ms = NULL WHERE seq = ? AND status IN (${placeholders})`,
    ).run(seq, ...statuses);
    return Number(result.changes) === 1;
  }

  /** Executions left RUNNING by engines that are gone. */
  orphans(isAlive: (owner: string) => boolean): ExecutionRow[] {
    const running = this.sql(`SELECT * FROM executions WHERE status = 'RUNNING' ORDER BY seq`).all() as unknown as ExecutionRow[];
    return running.filter((row) => row.owner === null || !isAlive(row.owner));
  }

  /** Queues an orphaned execution again, as a redrive, keeping its place in arrival order. */
  recoverOrphan(seq: number): boolean {
    const result = this.sql(
      `UPDATE executions SET status = 'QUEUED', owner = NULL, redrive_count = redrive_count + 1, recoveries = recoveries + 1 WHERE seq = ? AND status = 'RUNNING'`,
    ).run(seq);
    return Number(result.changes) === 1;
  }

  list(options: { workflow?: string; status?: string; prefix?: string; limit: number; afterSeq?: number }): ExecutionRow[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (options.workflow) {
      where.push('workflow = ?');
      params.push(options.workflow);
    }
    if (options.status) {
      where.push('status = ?');
      params.push(options.status);
    }
    if (options.prefix) {
      // Names use [A-Za-z0-9_-] only, so the prefix needs no escaping beyond LIKE's own wildcards.
      where.push(`name LIKE ? ESCAPE '\\'`);
      params.push(`${options.prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    if (options.afterSeq !== undefined) {
      where.push('seq < ?');
      params.push(options.afterSeq);
    }
    // Newest first, as ListExecutions answers.
    const text = `SELECT * FROM executions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return this.db.prepare(text).all(...params, options.limit) as unknown as ExecutionRow[];
  }

  counts(): Record<string, number> {
    const rows = this.sql(`SELECT status, COUNT(*) AS n FROM executions GROUP BY status`).all() as Array<{ status: string; n: number }>;
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
  }

  lastEventId(seq: number): number {
    const row = this.sql(`SELECT MAX(id) AS id FROM events WHERE seq = ?`).get(seq) as { id: number | null };
    return row.id ?? 0;
  }

  appendEvent(seq: number, event: EventRow): void {
    this.sql(`INSERT INTO events (seq, id, previous_id, ts, type, details) VALUES (?, ?, ?, ?, ?, ?)`).run(
      seq,
      event.id,
      event.previous_id,
      event.ts,
      event.type,
      event.details,
    );
  }

  events(seq: number, options: { afterId: number; limit: number; reverse: boolean }): EventRow[] {
    return (
      options.reverse
        ? this.sql(`SELECT id, previous_id, ts, type, details FROM events WHERE seq = ? AND id < ? ORDER BY id DESC LIMIT ?`).all(
            seq,
            options.afterId || Number.MAX_SAFE_INTEGER,
            options.limit,
          )
        : this.sql(`SELECT id, previous_id, ts, type, details FROM events WHERE seq = ? AND id > ? ORDER BY id LIMIT ?`).all(
            seq,
            options.afterId,
            options.limit,
          )
    ) as unknown as EventRow[];
  }

  taskResult(seq: number, state: string, inputHash: string): string | undefined {
    const row = this.sql(`SELECT output FROM task_results WHERE seq = ? AND state = ? AND input_hash = ?`).get(seq, state, inputHash) as
      | { output: string }
      | undefined;
    return row?.output;
  }

  saveTaskResult(seq: number, state: string, inputHash: string, output: string): void {
    this.sql(`INSERT OR REPLACE INTO task_results (seq, state, input_hash, output) VALUES (?, ?, ?, ?)`).run(seq, state, inputHash, output);
  }

  /** Registers a token as waiting, unless it exists already (a restart keeps the operator's token valid). */
  openToken(token: string, seq: number, state: string): TokenRow {
    this.sql(`INSERT OR IGNORE INTO task_tokens (token, seq, state, status) VALUES (?, ?, ?, 'waiting')`).run(token, seq, state);
    return this.token(token)!;
  }

  token(token: string): TokenRow | undefined {
    return this.sql(`SELECT * FROM task_tokens WHERE token = ?`).get(token) as TokenRow | undefined;
  }

  /** Settles a waiting token; false when it is unknown or settled already. */
  settleToken(token: string, fields: { status: 'succeeded' | 'failed'; output?: string; error?: string; cause?: string }): boolean {
    const result = this.sql(`UPDATE task_tokens SET status = ?, output = ?, error = ?, cause = ? WHERE token = ? AND status = 'waiting'`).run(
      fields.status,
      fields.output ?? null,
      fields.error ?? null,
      fields.cause ?? null,
      token,
    );
    return Number(result.changes) === 1;
  }

  /** Forgets a settled token so a redriven wait can ask again. */
  reopenToken(token: string): void {
    this.sql(`UPDATE task_tokens SET status = 'waiting', output = NULL, error = NULL, cause = NULL WHERE token = ?`).run(token);
  }

  transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

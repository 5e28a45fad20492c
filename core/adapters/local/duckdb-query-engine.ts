/**
 * The local QueryEngine: DuckDB (in process, in memory) over the JSON-lines files that
 * JsonlEventSink writes, `<eventsDir>/dt=YYYY-MM-DD/*.jsonl`, read with the lake's declared
 * columns (the same as the Glue tables), so queries see the same types as on Athena.
 *
 * Parsing JSON is most of a query's cost, so each table is loaded into DuckDB's columnar memory
 * and kept: before a query, only the date partitions whose files changed (size or mtime) are
 * reloaded. A running server appends to today's partition only, so a dashboard refresh re-reads
 * one day, not the whole history.
 *
 * The SQL is Athena's (Trino) dialect. DuckDB runs it with a short compat list: macros for
 * the functions DuckDB names differently, and a rename for the one that takes a lambda (a
 * DuckDB macro cannot pass a lambda on).
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ShutterError } from '../../errors.js';
import type { ColumnType, QueryEngine, QueryResult, QueryValue, TableDefinition } from '../../ports/query-engine.js';

/** Trino functions DuckDB lacks, defined as DuckDB macros. */
export const DUCKDB_COMPAT_MACROS = [
  // Trino's approx_percentile returns a value of the data (no interpolation): quantile_disc does too.
  'CREATE OR REPLACE MACRO approx_percentile(x, p) AS quantile_disc(x, p)',
  'CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
];

/** Trino functions renamed in the text (their arguments include lambdas, which macros cannot forward). */
export const DUCKDB_COMPAT_RENAMES: ReadonlyArray<[RegExp, string]> = [[/\btransform\s*\(/gi, 'list_transform(']];

export interface DuckDbQueryEngineOptions {
  /** The lake root: each table reads `<root>/<table.location>dt=*\/*.jsonl`. */
  root: string;
  tables: readonly TableDefinition[];
  /** DuckDB's memory cap, e.g. `1GB`; DuckDB spills to disk beyond it. */
  memoryLimit?: string;
}

export class DuckDbQueryEngine implements QueryEngine {
  readonly name = 'duckdb' as const;
  private connecting: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | undefined;
  /** Per table, the signature (files, sizes, mtimes) of each partition as loaded. */
  private readonly loaded = new Map<string, Map<string, string>>();
  /** Loads run one at a time: two queries must not both reload the same partition. */
  private refreshing: Promise<void> = Promise.resolve();

  constructor(private readonly options: DuckDbQueryEngineOptions) {}

  async run(sql: string): Promise<QueryResult> {
    const { connection } = await this.connect();
    const refresh = this.refreshing.then(async () => {
      for (const table of this.options.tables) await this.refresh(connection, table);
    });
    this.refreshing = refresh.catch(() => undefined);
    await refresh;
    let reader;
    try {
      reader = await connection.runAndReadAll(toDuckDbDialect(sql));
    } catch (error) {
      throw new ShutterError(500, 'Analytics::QueryFailed', `DuckDB: ${(error as Error).message}`, { cause: error });
    }
    const names = reader.columnNames();
    const types = reader.columnTypes().map((type) => type.toString());
    return {
      columns: names.map((name, index) => ({ name, type: types[index]! })),
      rows: reader.getRowObjects().map((row) => Object.fromEntries(names.map((name) => [name, toQueryValue(row[name])]))),
    };
  }

  async close(): Promise<void> {
    if (!this.connecting) return;
    const { instance, connection } = await this.connecting;
    this.connecting = undefined;
    this.loaded.clear();
    connection.closeSync();
    instance.closeSync();
  }

  private connect() {
    this.connecting ??= (async () => {
      const instance = await DuckDBInstance.create(':memory:', this.options.memoryLimit ? { memory_limit: this.options.memoryLimit } : {});
      const connection = await instance.connect();
      for (const macro of DUCKDB_COMPAT_MACROS) await connection.run(macro);
      return { instance, connection };
    })();
    return this.connecting;
  }

  /** Brings the in-memory table up to date with its files, partition by partition. */
  private async refresh(connection: DuckDBConnection, table: TableDefinition): Promise<void> {
    const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
    let loaded = this.loaded.get(table.name);
    if (!loaded) {
      const columns = table.columns.map((column) => `${quoted(column.name)} ${duckdbType(column.type)}`);
      await connection.run(`CREATE OR REPLACE TABLE ${quoted(table.name)} (${columns.join(', ')}, ${quoted(table.partitionKey)} VARCHAR)`);
      // Views rebind on every query: replacing the table below on its first load keeps them valid.
      for (const view of table.views ?? []) await connection.run(`CREATE OR REPLACE VIEW ${quoted(view.name)} AS ${toDuckDbDialect(view.sql)}`);
      loaded = new Map();
      this.loaded.set(table.name, loaded);
    }
    const folder = path.join(this.options.root, table.location);
    const current = await partitionSignatures(folder, table.partitionKey);
    const columns = table.columns.map((column) => `${quoted(column.name)}: ${literal(duckdbType(column.type))}`).join(', ');
    const source = (glob: string) =>
      `read_json(${literal(glob)}, format = 'newline_delimited', columns = {${columns}}, hive_partitioning = true, ` +
      // A torn last line of a file being written is skipped (it is read whole on the next refresh).
      `hive_types = {${literal(table.partitionKey)}: 'VARCHAR'}, ignore_errors = true)`;
    if (loaded.size === 0 && current.size > 0) {
      // The first load reads every partition in one scan: much faster than one insert per day.
      await connection.run(`CREATE OR REPLACE TABLE ${quoted(table.name)} AS SELECT * FROM ${source(path.join(folder, `${table.partitionKey}=*`, '*.jsonl'))}`);
      for (const [partition, signature] of current) loaded.set(partition, signature);
      return;
    }
    for (const partition of new Set([...loaded.keys(), ...current.keys()])) {
      const signature = current.get(partition);
      if (signature === loaded.get(partition)) continue;
      const value = partition.slice(table.partitionKey.length + 1);
      await connection.run(`DELETE FROM ${quoted(table.name)} WHERE ${quoted(table.partitionKey)} = ${literal(value)}`);
      loaded.delete(partition);
      if (signature === undefined) continue;
      await connection.run(`INSERT INTO ${quoted(table.name)} BY NAME SELECT * FROM ${source(path.join(folder, partition, '*.jsonl'))}`);
      loaded.set(partition, signature);
    }
  }
}

/** Athena's SQL as DuckDB runs it (its macros cover the rest). */
function toDuckDbDialect(sql: string): string {
  let text = sql;
  for (const [pattern, replacement] of DUCKDB_COMPAT_RENAMES) text = text.replace(pattern, replacement);
  return text;
}

/** `dt=…` → a signature of its `.jsonl` files (name, size, mtime): it changes whenever a file does. */
async function partitionSignatures(folder: string, key: string): Promise<Map<string, string>> {
  const signatures = new Map<string, string>();
  for (const partition of (await readdir(folder).catch(() => [] as string[])).filter((name) => name.startsWith(`${key}=`)).sort()) {
    const files = (await readdir(path.join(folder, partition)).catch(() => [] as string[])).filter((name) => name.endsWith('.jsonl')).sort();
    const parts: string[] = [];
    for (const file of files) {
      const info = await stat(path.join(folder, partition, file)).catch(() => undefined);
      if (info) parts.push(`${file}:${info.size}:${info.mtimeMs}`);
    }
    if (parts.length) signatures.set(partition, parts.join('|'));
  }
  return signatures;
}

/** DuckDB type, e.g. `STRUCT("bucket" VARCHAR, "key" VARCHAR)`. */
export function duckdbType(type: ColumnType): string {
  switch (type.kind) {
    case 'array':
      return `${duckdbType(type.of)}[]`;
    case 'struct':
      return `STRUCT(${type.fields.map((field) => `"${field.name}" ${duckdbType(field.type)}`).join(', ')})`;
    case 'string':
      return 'VARCHAR';
    default:
      return type.kind.toUpperCase();
  }
}

function toQueryValue(value: DuckDBValue | undefined): QueryValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof (value as { toDouble?: () => number }).toDouble === 'function') return (value as { toDouble: () => number }).toDouble();
  return String(value);
}

/**
 * The local QueryEngine: DuckDB (in process, in memory) over the JSON-lines files that
 * JsonlEventSink writes, `<eventsDir>/dt=YYYY-MM-DD/*.jsonl`. Each table is a view over
 * `read_json` with the lake's declared columns (the same as the Glue tables), so queries see
 * the same types as on Athena.
 *
 * The SQL is Athena's (Trino) dialect. DuckDB runs it with a short compat list: macros for
 * the functions DuckDB names differently, and a rename for the one that takes a lambda (a
 * DuckDB macro cannot pass a lambda on).
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { readdir } from 'node:fs/promises';
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

  constructor(private readonly options: DuckDbQueryEngineOptions) {}

  async run(sql: string): Promise<QueryResult> {
    const { connection } = await this.connect();
    for (const table of this.options.tables) await connection.run(await this.viewOf(table));
    let text = sql;
    for (const [pattern, replacement] of DUCKDB_COMPAT_RENAMES) text = text.replace(pattern, replacement);
    let reader;
    try {
      reader = await connection.runAndReadAll(text);
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

  /** A view over the table's files, or an empty relation with the same columns when there are none yet. */
  private async viewOf(table: TableDefinition): Promise<string> {
    const folder = path.join(this.options.root, table.location);
    const partitions = (await readdir(folder).catch(() => [] as string[])).filter((name) => name.startsWith(`${table.partitionKey}=`));
    const hasFiles = (await Promise.all(partitions.map(async (name) => (await readdir(path.join(folder, name))).some((file) => file.endsWith('.jsonl'))))).some(Boolean);
    const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
    if (!hasFiles) {
      const columns = table.columns.map((column) => `CAST(NULL AS ${duckdbType(column.type)}) AS ${quoted(column.name)}`);
      return `CREATE OR REPLACE VIEW ${quoted(table.name)} AS SELECT ${columns.join(', ')}, CAST(NULL AS VARCHAR) AS ${quoted(table.partitionKey)} WHERE false`;
    }
    const columns = table.columns.map((column) => `${quoted(column.name)}: '${duckdbType(column.type).replace(/'/g, "''")}'`).join(', ');
    const glob = path.join(folder, `${table.partitionKey}=*`, '*.jsonl').replace(/'/g, "''");
    return (
      `CREATE OR REPLACE VIEW ${quoted(table.name)} AS SELECT * FROM read_json('${glob}', format = 'newline_delimited', ` +
      `columns = {${columns}}, hive_partitioning = true, hive_types = {'${table.partitionKey}': 'VARCHAR'}, ` +
      // A torn last line of a file being written is skipped, not an error for the whole query.
      `ignore_errors = true)`
    );
  }
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

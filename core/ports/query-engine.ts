/**
 * Runs SQL over the lake: DuckDB over the local JSON-lines files, Athena over S3 in AWS. The SQL
 * is Athena's dialect (Trino); the DuckDB adapter supplies the few functions DuckDB names
 * differently (see its compat list), so one set of files in `analytics/queries/` serves both.
 */

/** A cell: numbers come back as numbers, text as strings, NULL as null. */
export type QueryValue = string | number | boolean | null;

export interface QueryResult {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, QueryValue>>;
}

export interface QueryEngine {
  readonly name: 'duckdb' | 'athena';
  run(sql: string, options?: { signal?: AbortSignal }): Promise<QueryResult>;
  close(): Promise<void>;
}

/** A column type, rendered as Hive/Glue DDL for Athena and as DuckDB's type for `read_json`. */
export type ColumnType =
  | { kind: 'string' | 'bigint' | 'double' | 'boolean' }
  | { kind: 'array'; of: ColumnType }
  | { kind: 'struct'; fields: ReadonlyArray<{ name: string; type: ColumnType }> };

/** A lake table: JSON lines under `<location>dt=YYYY-MM-DD/`, partitioned by date. */
export interface TableDefinition {
  name: string;
  description: string;
  /** Folder under the lake root (S3 prefix, or the local data folder), with a trailing slash. */
  location: string;
  columns: ReadonlyArray<{ name: string; type: ColumnType; comment: string }>;
  /** The partition column, `dt`, a `YYYY-MM-DD` string. */
  partitionKey: string;
  /** Views over this table that queries read instead of it; both engines create them. */
  views?: readonly ViewDefinition[];
}

/**
 * A view over one table: the table's columns then its partition key, and a subset of its rows (a
 * dedupe, a filter). DuckDB creates it when it loads the table; in AWS it is a Glue `VIRTUAL_VIEW`
 * (infra/image-analytics.ts), so one SQL text serves both engines.
 */
export interface ViewDefinition {
  name: string;
  description: string;
  /** A SELECT over the table in Athena's dialect (Trino), which DuckDB runs through its compat list. */
  sql: string;
}

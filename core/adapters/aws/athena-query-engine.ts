/**
 * The AWS QueryEngine: Amazon Athena over the lake's Glue tables. A query is started in the
 * configured workgroup (which enforces encrypted results in S3), polled with backoff until it
 * ends, and its results are read page by page. FAILED and CANCELLED states become errors with
 * Athena's reason; a query that outlives the timeout is stopped, so it costs nothing further.
 */
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type ColumnInfo,
  type GetQueryResultsCommandOutput,
} from '@aws-sdk/client-athena';
import { ShutterError, TransientError } from '../../errors.js';
import type { QueryEngine, QueryResult, QueryValue } from '../../ports/query-engine.js';

export interface AthenaQueryEngineOptions {
  client: AthenaClient;
  workgroup: string;
  database: string;
  catalog?: string;
  /** Only when the workgroup does not enforce its own result location. */
  outputLocation?: string | undefined;
  /** Polling starts at `initial` ms and doubles up to `max`. */
  pollMs?: { initial: number; max: number };
  timeoutMs?: number;
  /** For tests: how to wait between polls. */
  sleep?: (ms: number) => Promise<void>;
}

/** Athena's types that are numbers in JSON. */
const NUMERIC = new Set(['tinyint', 'smallint', 'integer', 'int', 'bigint', 'double', 'float', 'real', 'decimal']);

export class AthenaQueryEngine implements QueryEngine {
  readonly name = 'athena' as const;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: AthenaQueryEngineOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async run(sql: string, runOptions: { signal?: AbortSignal } = {}): Promise<QueryResult> {
    const { client } = this.options;
    const started = await client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: this.options.workgroup,
        QueryExecutionContext: { Database: this.options.database, Catalog: this.options.catalog ?? 'AwsDataCatalog' },
        ...(this.options.outputLocation ? { ResultConfiguration: { OutputLocation: this.options.outputLocation } } : {}),
      }),
    );
    const id = started.QueryExecutionId!;
    await this.waitFor(id, runOptions.signal);
    return this.results(id);
  }

  async close(): Promise<void> {}

  private async waitFor(id: string, signal: AbortSignal | undefined): Promise<void> {
    const poll = this.options.pollMs ?? { initial: 200, max: 2_000 };
    const deadline = Date.now() + (this.options.timeoutMs ?? 60_000);
    for (let delay = poll.initial; ; delay = Math.min(delay * 2, poll.max)) {
      const { QueryExecution: execution } = await this.options.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const status = execution?.Status;
      switch (status?.State) {
        case 'SUCCEEDED':
          return;
        case 'FAILED': {
          const reason = status.AthenaError?.ErrorMessage ?? status.StateChangeReason ?? 'no reason given';
          // Category 1 is Athena's own (system) fault: worth retrying; 2 (user) and 3 are not.
          if (status.AthenaError?.ErrorCategory === 1 || status.AthenaError?.Retryable) {
            throw new TransientError('Analytics::QueryFailed', `Athena query ${id} failed: ${reason}`, 502);
          }
          throw new ShutterError(500, 'Analytics::QueryFailed', `Athena query ${id} failed: ${reason}`);
        }
        case 'CANCELLED':
          throw new TransientError('Analytics::QueryCancelled', `Athena query ${id} was cancelled: ${status.StateChangeReason ?? 'by a user or a workgroup limit'}`, 503);
        default: // QUEUED, RUNNING
          if (signal?.aborted || Date.now() + delay > deadline) {
            await this.options.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
            throw new TransientError('Analytics::QueryTimeout', `Athena query ${id} did not finish in time and was stopped.`, 504);
          }
          await this.sleep(delay);
      }
    }
  }

  private async results(id: string): Promise<QueryResult> {
    let columns: ColumnInfo[] = [];
    const rows: QueryResult['rows'] = [];
    let token: string | undefined;
    let first = true;
    do {
      const page: GetQueryResultsCommandOutput = await this.options.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }));
      if (first) columns = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      // A SELECT's first row of the first page repeats the column names.
      const data = (page.ResultSet?.Rows ?? []).slice(first ? 1 : 0);
      for (const row of data) {
        const values = row.Data ?? [];
        rows.push(Object.fromEntries(columns.map((column, index) => [column.Name!, convert(values[index]?.VarCharValue, column.Type ?? 'varchar')])));
      }
      first = false;
      token = page.NextToken;
    } while (token);
    return { columns: columns.map((column) => ({ name: column.Name!, type: column.Type ?? 'varchar' })), rows };
  }
}

function convert(value: string | undefined, type: string): QueryValue {
  if (value === undefined) return null;
  if (NUMERIC.has(type.toLowerCase())) return Number(value);
  if (type.toLowerCase() === 'boolean') return value === 'true';
  return value;
}

/** Athena at the SDK boundary (aws-sdk-client-mock), with the real request and response shapes. */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type ColumnInfo,
  type GetQueryExecutionCommandOutput,
  type QueryExecutionState,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { AthenaQueryEngine } from '../../../core/adapters/aws/athena-query-engine.js';

const athena = mockClient(AthenaClient);
const sleeps: number[] = [];
const engine = (options: Partial<ConstructorParameters<typeof AthenaQueryEngine>[0]> = {}) =>
  new AthenaQueryEngine({ client: new AthenaClient({ region: 'eu-west-1' }), workgroup: 'shutter', database: 'shutter_lake', sleep: async (ms) => void sleeps.push(ms), ...options });

const columns: ColumnInfo[] = [
  { CatalogName: 'hive', SchemaName: '', TableName: '', Name: 'day', Label: 'day', Type: 'varchar', Precision: 2147483647, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: true },
  { CatalogName: 'hive', SchemaName: '', TableName: '', Name: 'uploads', Label: 'uploads', Type: 'bigint', Precision: 19, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: false },
  { CatalogName: 'hive', SchemaName: '', TableName: '', Name: 'rate', Label: 'rate', Type: 'double', Precision: 17, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: false },
];
const row = (...values: Array<string | undefined>) => ({ Data: values.map((value) => (value === undefined ? {} : { VarCharValue: value })) });
const execution = (State: QueryExecutionState, extra: Record<string, unknown> = {}): Partial<GetQueryExecutionCommandOutput> => ({
  QueryExecution: { QueryExecutionId: 'q-1', Query: 'SELECT …', StatementType: 'DML', WorkGroup: 'shutter', Status: { State, SubmissionDateTime: new Date(), ...extra } },
});

beforeEach(() => {
  athena.reset();
  sleeps.length = 0;
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
});

describe('AthenaQueryEngine', () => {
  test('starts the query in the workgroup and database, polls with backoff until it succeeds, and reads every page', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(execution('QUEUED'))
      .resolvesOnce(execution('RUNNING'))
      .resolvesOnce(execution('RUNNING'))
      .resolves(execution('SUCCEEDED'));
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', MaxResults: 1000 })
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: columns }, Rows: [row('day', 'uploads', 'rate'), row('2026-03-01', '40', '0.125')] }, NextToken: 'page-2', UpdateCount: 0 })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', MaxResults: 1000, NextToken: 'page-2' })
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: columns }, Rows: [row('2026-03-02', '41', undefined)] }, NextToken: 'page-3' })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', MaxResults: 1000, NextToken: 'page-3' })
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: columns }, Rows: [row('2026-03-03', '39', '0.5')] } });

    const result = await engine({ outputLocation: 's3://results/shutter/' }).run('SELECT 1');
    expect(result.columns).toEqual([
      { name: 'day', type: 'varchar' },
      { name: 'uploads', type: 'bigint' },
      { name: 'rate', type: 'double' },
    ]);
    expect(result.rows).toEqual([
      { day: '2026-03-01', uploads: 40, rate: 0.125 },
      { day: '2026-03-02', uploads: 41, rate: null },
      { day: '2026-03-03', uploads: 39, rate: 0.5 },
    ]);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).toEqual({
      QueryString: 'SELECT 1',
      WorkGroup: 'shutter',
      QueryExecutionContext: { Database: 'shutter_lake', Catalog: 'AwsDataCatalog' },
      ResultConfiguration: { OutputLocation: 's3://results/shutter/' },
    });
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(3);
    expect(sleeps).toEqual([200, 400, 800]);
  });

  test('without an output location, leaves it to the workgroup (which enforces encrypted results)', async () => {
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: columns }, Rows: [row('day', 'uploads', 'rate')] } });
    expect((await engine().run('SELECT 1')).rows).toEqual([]);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).not.toHaveProperty('ResultConfiguration');
  });

  test('a FAILED query (user error) is a 500 Analytics::QueryFailed carrying Athena’s message', async () => {
    athena.on(GetQueryExecutionCommand).resolves(
      execution('FAILED', { StateChangeReason: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved", AthenaError: { ErrorCategory: 2, ErrorType: 1006, Retryable: false, ErrorMessage: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved" } }),
    );
    await expect(engine().run('SELECT nope')).rejects.toMatchObject({ status: 500, code: 'Analytics::QueryFailed', message: expect.stringContaining('COLUMN_NOT_FOUND') });
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  test('a FAILED query on Athena’s side (system error) is a retryable TransientError', async () => {
    athena.on(GetQueryExecutionCommand).resolves(execution('FAILED', { AthenaError: { ErrorCategory: 1, ErrorType: 401, Retryable: true, ErrorMessage: 'Internal service error' } }));
    await expect(engine().run('SELECT 1')).rejects.toMatchObject({ name: 'TransientError', status: 502, code: 'Analytics::QueryFailed' });
  });

  test('a CANCELLED query is a TransientError Analytics::QueryCancelled', async () => {
    athena.on(GetQueryExecutionCommand).resolvesOnce(execution('RUNNING')).resolves(execution('CANCELLED', { StateChangeReason: 'Query cancelled by user' }));
    await expect(engine().run('SELECT 1')).rejects.toMatchObject({ name: 'TransientError', status: 503, code: 'Analytics::QueryCancelled', message: expect.stringContaining('cancelled by user') });
  });

  test('a query that outlives the timeout is stopped and reported as Analytics::QueryTimeout', async () => {
    athena.on(GetQueryExecutionCommand).resolves(execution('RUNNING'));
    athena.on(StopQueryExecutionCommand).resolves({});
    await expect(engine({ timeoutMs: 0 }).run('SELECT 1')).rejects.toMatchObject({ status: 504, code: 'Analytics::QueryTimeout' });
    expect(athena.commandCalls(StopQueryExecutionCommand)[0]!.args[0].input).toEqual({ QueryExecutionId: 'q-1' });
  });

  test('an aborted request stops the query', async () => {
    athena.on(GetQueryExecutionCommand).resolves(execution('RUNNING'));
    athena.on(StopQueryExecutionCommand).resolves({});
    const controller = new AbortController();
    controller.abort();
    await expect(engine().run('SELECT 1', { signal: controller.signal })).rejects.toMatchObject({ code: 'Analytics::QueryTimeout' });
    expect(athena.commandCalls(StopQueryExecutionCommand)).toHaveLength(1);
  });
});

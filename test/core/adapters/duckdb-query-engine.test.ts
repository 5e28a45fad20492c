import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TABLES } from '../../../analytics/tables.js';
import { DuckDbQueryEngine } from '../../../core/adapters/local/duckdb-query-engine.js';
import { JsonlEventSink } from '../../../core/adapters/local/jsonl-event-sink.js';
import { renditionEvent } from '../../helpers/events.js';

const count = async (engine: DuckDbQueryEngine) =>
  (await engine.run('SELECT dt, count(*) AS n FROM events GROUP BY dt ORDER BY dt')).rows;

describe('DuckDbQueryEngine', () => {
  test('sees events appended after a query, and forgets a deleted day', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'shutter-lake-'));
    const sink = new JsonlEventSink({ dir: path.join(root, 'events') });
    const engine = new DuckDbQueryEngine({ root, tables: TABLES });
    expect(await count(engine)).toEqual([]);

    await sink.publish([renditionEvent(1, 7, new Date('2026-03-01T10:00:00Z')), renditionEvent(2, 7, new Date('2026-03-02T10:00:00Z'))]);
    await sink.flush();
    expect(await count(engine)).toEqual([{ dt: '2026-03-01', n: 1 }, { dt: '2026-03-02', n: 1 }]);

    await sink.publish([renditionEvent(3, 7, new Date('2026-03-02T11:00:00Z'))]);
    await sink.flush();
    expect(await count(engine)).toEqual([{ dt: '2026-03-01', n: 1 }, { dt: '2026-03-02', n: 2 }]);

    await sink.close();
    await rm(path.join(root, 'events', 'dt=2026-03-01'), { recursive: true });
    expect(await count(engine)).toEqual([{ dt: '2026-03-02', n: 2 }]);
    await engine.close();
  });

  test('reads nested data with the declared types, and runs Athena’s functions through the compat list', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'shutter-lake-'));
    const sink = new JsonlEventSink({ dir: path.join(root, 'events') });
    await sink.publish([renditionEvent(1), renditionEvent(2), renditionEvent(3)]);
    await sink.close();
    const engine = new DuckDbQueryEngine({ root, tables: TABLES });
    const { rows, columns } = await engine.run(
      "SELECT approx_percentile(data.rendition.bytes, 0.5) AS p50, transform(array_agg(data.image.key ORDER BY id), k -> upper(k))[1] IS NOT NULL AS lambda_ok, max(from_iso8601_timestamp(\"time\")) IS NOT NULL AS parsed FROM events",
    );
    expect(rows).toEqual([{ p50: 1002, lambda_ok: true, parsed: true }]);
    expect(columns[0]).toEqual({ name: 'p50', type: 'BIGINT' });
    await engine.close();
  });

  test('a broken query is a 500 Analytics::QueryFailed', async () => {
    const engine = new DuckDbQueryEngine({ root: await mkdtemp(path.join(tmpdir(), 'shutter-lake-')), tables: TABLES });
    await expect(engine.run('SELECT nope FROM events')).rejects.toMatchObject({ status: 500, code: 'Analytics::QueryFailed' });
    await engine.close();
  });
});

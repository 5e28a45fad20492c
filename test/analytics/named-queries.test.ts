/**
 * Every dashboard query, run by DuckDB over a generated event history written by the local
 * sink (with some events delivered twice, as at-least-once delivery does), against the answer
 * computed here in plain TypeScript from the same events.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtureEvents } from '../../analytics/fixture-events.js';
import { loadNamedQueries, runNamedQuery } from '../../analytics/named-queries.js';
import { EVENTS_TABLE, TABLES } from '../../analytics/tables.js';
import { DuckDbQueryEngine } from '../../core/adapters/local/duckdb-query-engine.js';
import { JsonlEventSink } from '../../core/adapters/local/jsonl-event-sink.js';
import type { ShutterEvent } from '../../core/ports/event-sink.js';

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const events = [...fixtureEvents({ seed: 7, days: 3, uploadsPerDay: 40, requestsPerDay: 150 })];
const of = (...types: string[]) => events.filter((event) => types.includes(event.type));
const day = (event: ShutterEvent) => event.time.slice(0, 10);
const data = (event: ShutterEvent) => event.data as Data;
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
const groupBy = <T>(list: T[], key: (item: T) => string) => {
  const groups = new Map<string, T[]>();
  for (const item of list) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
};
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
/** Nearest rank: what Trino's approx_percentile and DuckDB's quantile_disc return on small sets. */
const percentile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(values.length * q - 1e-9) - 1)]!;

let engine: DuckDbQueryEngine;
beforeAll(async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'shutter-lake-'));
  const sink = new JsonlEventSink({ dir: path.join(root, 'events'), segmentBytes: 64 * 1024 });
  await sink.publish(events);
  // At-least-once: every 20th event arrives a second time (same id), in a later file.
  await sink.publish(events.filter((_, index) => index % 20 === 0));
  await sink.close();
  engine = new DuckDbQueryEngine({ root, tables: TABLES });
});
afterAll(() => engine.close());

const rows = async (name: string) => (await runNamedQuery(engine, name)).rows;

describe('named dashboard queries on DuckDB', () => {
  test('the fixture covers every event type and spans three days', () => {
    expect(new Set(events.map((event) => event.type)).size).toBe(5);
    expect(new Set(events.map(day))).toEqual(new Set(['2026-03-01', '2026-03-02', '2026-03-03']));
  });

  test('the lake holds copies (at-least-once), which the queries must drop', async () => {
    const { rows: [counts] } = await engine.run('SELECT count(*) AS n, count(DISTINCT id) AS ids FROM events');
    expect(counts).toEqual({ n: events.length + Math.ceil(events.length / 20), ids: events.length });
  });

  test('events_once holds each event once, with the columns of events and its partition key', async () => {
    const { rows: [counts] } = await engine.run('SELECT count(*) AS n, count(DISTINCT id) AS ids FROM events_once');
    expect(counts).toEqual({ n: events.length, ids: events.length });
    const columns = async (relation: string) => (await engine.run(`SELECT * FROM ${relation} LIMIT 0`)).columns;
    expect(await columns('events_once')).toEqual(await columns('events'));
    expect((await columns('events_once')).map((column) => column.name)).toEqual([...EVENTS_TABLE.columns.map((column) => column.name), 'dt']);
  });

  test('the "each event once" step is defined once: every query reads events_once, none numbers copies itself', async () => {
    for (const query of await loadNamedQueries()) {
      expect([query.name, /\bFROM\s+events_once\b/i.test(query.sql)]).toEqual([query.name, true]);
      expect([query.name, /\bFROM\s+events\b(?!_)|row_number\s*\(/i.test(query.sql)]).toEqual([query.name, false]);
    }
  });

  test('every query file has a title and a description', async () => {
    const queries = await loadNamedQueries();
    expect(queries.map((query) => query.name)).toEqual([
      'cache_hit_ratio',
      'errors_by_code',
      'estimated_cost',
      'moderation_rate_by_label',
      'processing_time',
      'renditions_by_format',
      'top_images',
      'uploads_per_day',
    ]);
    for (const query of queries) expect(query.title && query.description).toBeTruthy();
  });

  test('uploads_per_day', async () => {
    const expected = groupBy(of('image.workflow.completed', 'image.workflow.failed'), day).map(([dt, list]) => ({
      day: dt,
      uploads: list.length,
      completed: list.filter((event) => event.type === 'image.workflow.completed').length,
      failed: list.filter((event) => event.type === 'image.workflow.failed').length,
      source_bytes: sum(list.map((event) => data(event).bytes ?? 0)),
    }));
    expect(await rows('uploads_per_day')).toEqual(expected);
  });

  test('renditions_by_format', async () => {
    const expected = groupBy(of('image.rendition.created'), (event) => data(event).rendition.format)
      .map(([format, list]) => {
        const bytes = list.map((event) => data(event).rendition.bytes as number);
        return { format, renditions: list.length, bytes: sum(bytes), avg_bytes: Math.round(sum(bytes) / bytes.length) };
      })
      .sort((a, b) => b.renditions - a.renditions || a.format.localeCompare(b.format));
    expect(await rows('renditions_by_format')).toEqual(expected);
  });

  test('moderation_rate_by_label', async () => {
    const processed = new Set(of('image.workflow.completed', 'image.workflow.failed', 'image.moderation.flagged').map((event) => data(event).execution_id)).size;
    const flagged = of('image.moderation.flagged').flatMap((event) => (data(event).labels as Array<{ name: string }>).map((label) => ({ label: label.name, execution: data(event).execution_id as string })));
    const expected = groupBy(flagged, (entry) => entry.label)
      .map(([label, list]) => ({ label, flagged: new Set(list.map((entry) => entry.execution)).size, images: processed, rate: round(new Set(list.map((entry) => entry.execution)).size / processed, 4) }))
      .sort((a, b) => b.flagged - a.flagged || a.label.localeCompare(b.label));
    expect(expected.length).toBeGreaterThan(1);
    expect(await rows('moderation_rate_by_label')).toEqual(expected);
  });

  test('processing_time', async () => {
    const stage = (event: ShutterEvent) => (event.type === 'image.workflow.completed' ? 'workflow' : event.type === 'image.rendition.created' ? 'rendition' : 'request');
    const timed = of('image.workflow.completed', 'image.rendition.created', 'image.request.served').filter((event) => event.type !== 'image.request.served' || data(event).status < 400);
    const expected = groupBy(timed, (event) => `${day(event)} ${stage(event)}`).map(([key, list]) => {
      const durations = list.map((event) => data(event).duration_ms as number);
      return { day: key.slice(0, 10), stage: key.slice(11), samples: list.length, p50_ms: percentile(durations, 0.5), p95_ms: percentile(durations, 0.95) };
    });
    expect(await rows('processing_time')).toEqual(expected);
  });

  test('cache_hit_ratio', async () => {
    const expected = groupBy(of('image.request.served'), day).map(([dt, list]) => {
      const hits = list.filter((event) => data(event).cache === 'hit').length;
      return { day: dt, requests: list.length, hits, hit_ratio: round(hits / list.length, 4) };
    });
    expect(await rows('cache_hit_ratio')).toEqual(expected);
  });

  test('top_images', async () => {
    const expected = groupBy(of('image.request.served').filter((event) => data(event).image), (event) => event.subject)
      .map(([image, list]) => ({ image, requests: list.length, bytes_served: sum(list.map((event) => data(event).bytes)) }))
      .sort((a, b) => b.requests - a.requests || (a.image < b.image ? -1 : 1))
      .slice(0, 20);
    expect(await rows('top_images')).toEqual(expected);
  });

  test('errors_by_code', async () => {
    const failures = [
      ...of('image.workflow.failed').map((event) => ({ origin: 'workflow', code: data(event).error.code as string })),
      ...of('image.request.served').filter((event) => data(event).error_code).map((event) => ({ origin: 'api', code: data(event).error_code as string })),
    ];
    const expected = groupBy(failures, (failure) => `${failure.origin} ${failure.code}`)
      .map(([, list]) => ({ origin: list[0]!.origin, code: list[0]!.code, errors: list.length }))
      .sort((a, b) => b.errors - a.errors || a.origin.localeCompare(b.origin) || (a.code < b.code ? -1 : 1));
    expect(await rows('errors_by_code')).toEqual(expected);
  });

  test('estimated_cost', async () => {
    const expected = groupBy(of('image.workflow.completed', 'image.workflow.failed', 'image.rendition.created', 'image.request.served'), day).map(([dt, list]) => {
      const count = (type: string) => list.filter((event) => event.type === type).length;
      const images = count('image.workflow.completed') + count('image.workflow.failed');
      const requests = count('image.request.served');
      const renditions = count('image.rendition.created');
      const seconds = sum(list.filter((event) => event.type === 'image.rendition.created' || event.type === 'image.request.served').map((event) => data(event).duration_ms)) / 1000;
      const bytesOut = sum(list.filter((event) => event.type === 'image.request.served').map((event) => data(event).bytes));
      const costs = {
        compute_usd: seconds * 1.769 * 0.0000166667,
        invocations_usd: (requests + renditions + images * 4) * 0.0000002,
        transfer_usd: (bytesOut / 1073741824) * 0.085,
        moderation_usd: images * 0.001,
        workflow_usd: images * 10 * 0.000025,
      };
      return {
        day: dt,
        images,
        requests,
        ...Object.fromEntries(Object.entries(costs).map(([name, value]) => [name, round(value, 6)])),
        total_usd: round(sum(Object.values(costs)), 6),
      };
    });
    const actual = await rows('estimated_cost');
    expect(actual.map(({ day: d, images, requests }) => ({ day: d, images, requests }))).toEqual(expected.map(({ day: d, images, requests }) => ({ day: d, images, requests })));
    actual.forEach((row, index) => {
      for (const [name, value] of Object.entries(expected[index]!)) if (name.endsWith('_usd')) expect(row[name]).toBeCloseTo(value as number, 6);
    });
  });

  test('an unknown query is a 404 with code Analytics::UnknownQuery', async () => {
    await expect(runNamedQuery(engine, 'drop_tables')).rejects.toMatchObject({ status: 404, code: 'Analytics::UnknownQuery' });
    await expect(runNamedQuery(engine, '../etc/passwd')).rejects.toMatchObject({ status: 404 });
  });

  test('with no events yet, every query answers with no rows instead of failing', async () => {
    const empty = new DuckDbQueryEngine({ root: await mkdtemp(path.join(tmpdir(), 'shutter-lake-')), tables: TABLES });
    for (const query of await loadNamedQueries()) expect((await runNamedQuery(empty, query.name)).rows).toEqual([]);
    await empty.close();
  });
});

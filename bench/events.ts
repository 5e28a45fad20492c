/**
 * Events benchmark, two parts (see bench/README.md, section "Events"):
 *
 * 1. Delivery: events/s into a local single-node Kafka broker (KRaft, started here) with
 *    acks=all, idempotent, gzip: through shutter's KafkaEventSink (outbox fsync + send) next to
 *    a bare kafkajs producer with the same settings (the baseline), and the local JSON-lines sink.
 * 2. Dashboards: each named query on DuckDB over a generated million-row lake (not committed),
 *    next to a bare `count(*)` scan of the same files (the baseline).
 *
 *   npm run bench:events                 # both parts
 *   npm run bench:events -- --part=queries --rows=1000000
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CompressionTypes, Kafka, Partitioners, logLevel } from 'kafkajs';
import { fixtureEvents } from '../analytics/fixture-events.js';
import { loadNamedQueries, runNamedQuery } from '../analytics/named-queries.js';
import { TABLES } from '../analytics/tables.js';
import { KafkaEventSink } from '../core/adapters/aws/kafka-event-sink.js';
import { DiskOutbox } from '../core/adapters/event-files/disk-outbox.js';
import { DuckDbQueryEngine } from '../core/adapters/local/duckdb-query-engine.js';
import { JsonlEventSink, partitionOf } from '../core/adapters/local/jsonl-event-sink.js';
import { KAFKA_CLIENT_RETRY } from '../core/adapters/aws/kafka-client.js';
import type { ShutterEvent } from '../core/ports/event-sink.js';
import { startKafka } from '../test/services/services.mjs';

const { values } = parseArgs({ options: { part: { type: 'string', default: 'all' }, events: { type: 'string', default: '50000' }, rows: { type: 'string', default: '1000000' }, chunk: { type: 'string', default: '100' } } });
const EVENTS = Number(values.events);
/** npm runs scripts at the package root; the bundled bench cannot find the queries relative to itself. */
const QUERIES = path.resolve('analytics/queries');
const CHUNK = Number(values.chunk);

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const rate = (count: number, secs: number) => `${Math.round(count / secs).toLocaleString('en-US')}/s`;

function sampleEvents(count: number): ShutterEvent[] {
  const events: ShutterEvent[] = [];
  for (const event of fixtureEvents({ days: 1000, uploadsPerDay: 20, requestsPerDay: 60 })) {
    events.push(event);
    if (events.length === count) break;
  }
  return events;
}

async function delivery(): Promise<void> {
  const events = sampleEvents(EVENTS);
  const chunks: ShutterEvent[][] = [];
  for (let start = 0; start < events.length; start += CHUNK) chunks.push(events.slice(start, start + CHUNK));
  // Full JIT here (the test broker runs C1-only to start fast); same heap.
  const broker = await startKafka({ jvmOptions: ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC'] });
  const kafka = new Kafka({ clientId: 'bench', brokers: [broker.brokers], logLevel: logLevel.NOTHING, retry: KAFKA_CLIENT_RETRY });
  const rows: string[][] = [];
  try {
    // Warm the broker and the client: topic creation and JIT are not what we measure.
    const warm = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await warm.connect();
    for (const topic of ['bench.baseline', 'bench.sink']) {
      for (const chunk of chunks.slice(0, 50)) await warm.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: chunk.map((event) => ({ key: event.subject, value: JSON.stringify(event) })) });
    }
    await warm.disconnect();

    // Three interleaved rounds, median of each: the machine is shared, single runs are noisy.
    const runs: Record<string, number[]> = { baseline: [], delivered: [], accepted: [], drain: [] };
    for (let round = 0; round < 3; round++) {
      // Baseline: bare kafkajs, the same producer settings, batches of 500 (the sink's batch size), one request in flight.
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      let start = process.hrtime.bigint();
      for (let from = 0; from < events.length; from += 500) {
        await producer.send({ topic: 'bench.baseline', acks: -1, compression: CompressionTypes.GZIP, messages: events.slice(from, from + 500).map((event) => ({ key: event.subject, value: JSON.stringify(event), headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8' } })) });
      }
      runs.baseline!.push(seconds(start));
      await producer.disconnect();

      // shutter: KafkaEventSink, publish in chunks (each awaited: outbox fsync), all concurrently, then flush.
      const outbox = await mkdtemp(path.join(tmpdir(), 'shutter-bench-outbox-'));
      const sink = new KafkaEventSink({ kafka, topic: 'bench.sink', outbox: new DiskOutbox({ dir: outbox }) });
      start = process.hrtime.bigint();
      await Promise.all(chunks.map((chunk) => sink.publish(chunk)));
      runs.accepted!.push(seconds(start));
      await sink.flush(120_000);
      runs.delivered!.push(seconds(start));
      if (sink.stats().queued !== 0) throw new Error('the sink did not deliver everything');
      await sink.close();
      await rm(outbox, { recursive: true, force: true });

      // The sender alone: an outbox filled while the broker was away, drained by a new sink.
      const backlog = await mkdtemp(path.join(tmpdir(), 'shutter-bench-outbox-'));
      const filling = await DiskOutbox.open({ dir: backlog });
      for (const chunk of chunks) await filling.append(chunk);
      await filling.close();
      start = process.hrtime.bigint();
      const draining = new KafkaEventSink({ kafka, topic: 'bench.sink', outbox: new DiskOutbox({ dir: backlog }) });
      await draining.flush(120_000);
      runs.drain!.push(seconds(start));
      if (draining.stats().queued !== 0) throw new Error('the sink did not drain everything');
      await draining.close();
      await rm(backlog, { recursive: true, force: true });
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const baseline = median(runs.baseline!);
    rows.push(['kafkajs producer (baseline): batches of 500, acks=all, idempotent, gzip', rate(events.length, baseline), '1.00']);
    for (const [name, label] of [
      ['delivered', `KafkaEventSink: publish (${CHUNK}/call, all concurrent) → outbox fsync → delivered`],
      ['accepted', 'KafkaEventSink: publish accepted (durable in the outbox, not yet delivered)'],
      ['drain', 'KafkaEventSink: draining a backlog left in the outbox (the sender alone)'],
    ] as const) {
      rows.push([label, rate(events.length, median(runs[name]!)), (baseline / median(runs[name]!)).toFixed(2)]);
    }

    // One event per publish call, sequentially: the worst case (one fsync each).
    const single = await mkdtemp(path.join(tmpdir(), 'shutter-bench-outbox-'));
    const oneByOne = new KafkaEventSink({ kafka, topic: 'bench.sink', outbox: new DiskOutbox({ dir: single }) });
    const few = events.slice(0, 2000);
    let start = process.hrtime.bigint();
    for (const event of few) await oneByOne.publish([event]);
    await oneByOne.flush(60_000);
    const sequential = seconds(start);
    await oneByOne.close();
    rows.push(['KafkaEventSink: 1 event per publish, awaited one by one (2000 events)', rate(few.length, sequential), ((few.length / sequential) / (events.length / baseline)).toFixed(2)]);
    await rm(single, { recursive: true, force: true });

    const local = await mkdtemp(path.join(tmpdir(), 'shutter-bench-events-'));
    const jsonl = new JsonlEventSink({ dir: local });
    start = process.hrtime.bigint();
    await Promise.all(chunks.map((chunk) => jsonl.publish(chunk)));
    const localSecs = seconds(start);
    await jsonl.close();
    rows.push([`JsonlEventSink (local default): ${CHUNK}/call, concurrent, fsync'd`, rate(events.length, localSecs), (baseline / localSecs).toFixed(2)]);
    await rm(local, { recursive: true, force: true });
  } finally {
    await broker.destroy();
  }
  console.log(`\n### Delivery: ${EVENTS.toLocaleString('en-US')} events (~${Math.round(JSON.stringify(sampleEvents(100)).length / 100)} bytes each as JSON)\n`);
  console.log('| path | events/s | × baseline |\n| --- | ---: | ---: |');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

/** A million-row lake, written straight to JSON lines (no validation: the generator's shapes are tested at small scale). */
async function writeLake(root: string, rows: number): Promise<number> {
  const perDay = 5_000;
  const byFile = new Map<string, string[]>();
  let count = 0;
  const flush = async () => {
    for (const [file, lines] of byFile) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, lines.join('\n') + '\n', { flag: 'a' });
    }
    byFile.clear();
  };
  for (const event of fixtureEvents({ days: 10_000, uploadsPerDay: perDay, requestsPerDay: perDay * 3, validate: false, start: '2025-01-01' })) {
    const file = path.join(root, 'events', partitionOf(event), 'events-bench.jsonl');
    const lines = byFile.get(file) ?? [];
    lines.push(JSON.stringify(event));
    byFile.set(file, lines);
    if (++count === rows) break;
    if (count % 50_000 === 0) await flush();
  }
  await flush();
  return count;
}

async function dashboards(): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'shutter-bench-lake-'));
  try {
    let start = process.hrtime.bigint();
    const rows = await writeLake(root, Number(values.rows));
    console.log(`\n### Dashboards: DuckDB over ${rows.toLocaleString('en-US')} events (generated in ${seconds(start).toFixed(1)} s)\n`);
    const engine = new DuckDbQueryEngine({ root, tables: TABLES });
    start = process.hrtime.bigint();
    await engine.run('SELECT count(*) FROM events');
    const cold = seconds(start);
    start = process.hrtime.bigint();
    const scan = await engine.run(`SELECT count(*) AS n, count(DISTINCT id) AS ids FROM events -- ${randomUUID()}`);
    const baseline = seconds(start);
    console.log('| query | rows out | time (s) | × baseline |\n| --- | ---: | ---: | ---: |');
    console.log(`| first query: DuckDB starts and loads every JSON line | 1 | ${cold.toFixed(2)} | ${(cold / baseline).toFixed(1)} |`);
    console.log(`| baseline: count(*), count(DISTINCT id) on the loaded table | ${scan.rows.length} | ${baseline.toFixed(2)} | 1.0 |`);
    for (const query of await loadNamedQueries(QUERIES)) {
      start = process.hrtime.bigint();
      const result = await runNamedQuery(engine, query.name, QUERIES);
      const secs = seconds(start);
      console.log(`| ${query.name} | ${result.rows.length} | ${secs.toFixed(2)} | ${(secs / baseline).toFixed(1)} |`);
    }
    // A live server appends to today's partition: the next query reloads that day only.
    const sink = new JsonlEventSink({ dir: path.join(root, 'events') });
    const last = (await engine.run('SELECT max(dt) AS dt FROM events')).rows[0]!.dt as string;
    const [extra] = sampleEvents(1);
    await sink.publish([{ ...extra!, id: randomUUID(), time: `${last}T23:59:00.000Z` }]);
    await sink.close();
    start = process.hrtime.bigint();
    const after = await runNamedQuery(engine, 'uploads_per_day', QUERIES);
    const reload = seconds(start);
    console.log(`| uploads_per_day after one event was appended to the last day (reloads that day) | ${after.rows.length} | ${reload.toFixed(2)} | ${(reload / baseline).toFixed(1)} |`);
    await engine.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

console.log(`node ${process.version}, ${new Date().toISOString()}`);
if (values.part === 'all' || values.part === 'delivery') await delivery();
if (values.part === 'all' || values.part === 'queries') await dashboards();

/**
 * The Kafka EventSink against a real Apache Kafka broker (KRaft, started by globalSetup; the
 * restart test runs its own broker so it can stop and start it without disturbing other tests).
 */
import { jest } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KafkaEventSink } from '../../../core/adapters/aws/kafka-event-sink.js';
import { DiskOutbox } from '../../../core/adapters/event-files/disk-outbox.js';
import { startKafka, type KafkaBroker } from '../../services/services.mjs';
import { consumeTopic, renditionEvent, testBrokers, testKafka, uniqueTopic } from '../../helpers/events.js';
import { eventSinkContract } from '../event-sink-contract.js';
import { EVENT_FAULTS, recordRow } from '../../reliability/report-store.js';

const outboxDir = () => mkdtemp(path.join(tmpdir(), 'shutter-outbox-'));

eventSinkContract('KafkaEventSink (real broker)', async () => {
  const topic = uniqueTopic('contract');
  const sink = new KafkaEventSink({ kafka: testKafka(), topic, outbox: new DiskOutbox({ dir: await outboxDir() }) });
  return {
    sink,
    readBack: async (expected) => (await consumeTopic(topic, expected)).events,
    close: () => sink.close(),
  };
});

// The sink logs failed sends and reconnections (EMF metric lines); the outage tests cause them on purpose.
beforeEach(() => {
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('KafkaEventSink', () => {
  test('messages are keyed by image id (one partition per image) and carry the CloudEvents content type', async () => {
    const topic = uniqueTopic('keys');
    const sink = new KafkaEventSink({ kafka: testKafka(), topic, outbox: new DiskOutbox({ dir: await outboxDir() }) });
    const events = Array.from({ length: 30 }, (_, n) => renditionEvent(n));
    await sink.publish(events);
    await sink.flush();
    const { partitions } = await consumeTopic(topic, events.length);
    expect([...partitions.keys()].sort()).toEqual([...new Set(events.map((event) => event.subject))].sort());
    for (const used of partitions.values()) expect(used.size).toBe(1);
    expect(sink.stats()).toMatchObject({ queued: 0, sent: 30, connected: true });
    await sink.close();
  });

  test('publish resolves while the broker is unreachable; the events wait in the outbox and a later sink delivers them', async () => {
    const dir = await outboxDir();
    const topic = uniqueTopic('outage');
    const unreachable = new KafkaEventSink({
      kafka: testKafka(['127.0.0.1:1']),
      topic,
      outbox: new DiskOutbox({ dir }),
      backoffMs: { initial: 20, max: 100 },
    });
    const events = Array.from({ length: 25 }, (_, n) => renditionEvent(n));
    await unreachable.publish(events);
    await unreachable.close(200);
    expect(unreachable.stats()).toMatchObject({ queued: 25, sent: 0 });

    const sink = new KafkaEventSink({ kafka: testKafka(), topic, outbox: new DiskOutbox({ dir }) });
    await sink.flush();
    expect(sink.stats().queued).toBe(0);
    const { events: seen } = await consumeTopic(topic, events.length);
    expect(seen.map((event) => event.id).sort()).toEqual(events.map((event) => event.id).sort());
    await sink.close();
  });

  test('publish with awaitDelivery fails with a retryable Events::Undelivered when the broker is unreachable; the events stay queued', async () => {
    const sink = new KafkaEventSink({
      kafka: testKafka(['127.0.0.1:1']),
      topic: uniqueTopic('undelivered'),
      outbox: new DiskOutbox({ dir: await outboxDir() }),
      backoffMs: { initial: 20, max: 100 },
    });
    const events = Array.from({ length: 3 }, (_, n) => renditionEvent(n));
    await expect(sink.publish(events, { awaitDelivery: true })).rejects.toMatchObject({ name: 'TransientError', code: 'Events::Undelivered', status: 503 });
    expect(sink.stats()).toMatchObject({ queued: 3, sent: 0 });
    await sink.close(100);
  });
});

describe('KafkaEventSink across a broker crash and restart', () => {
  let broker: KafkaBroker;
  beforeAll(async () => {
    broker = await startKafka();
  }, 240_000); // a second JVM while the suite runs: startKafka allows it 180 s
  afterAll(async () => {
    await broker?.destroy();
  });

  test('zero loss and no duplicates past the idempotent consumer when the broker is killed mid-stream', async () => {
    const topic = uniqueTopic('restart');
    const kafka = testKafka([broker.brokers]);
    const sink = new KafkaEventSink({ kafka, topic, outbox: new DiskOutbox({ dir: await outboxDir() }), backoffMs: { initial: 50, max: 500 } });
    const events = Array.from({ length: 300 }, (_, n) => renditionEvent(n, 11));
    const publishChunk = async (from: number, to: number) => {
      for (let start = from; start < to; start += 10) await sink.publish(events.slice(start, Math.min(start + 10, to)));
    };

    await publishChunk(0, 100);
    await sink.flush();
    await broker.stop('SIGKILL');
    await publishChunk(100, 200); // durable in the outbox while the broker is down
    expect(sink.stats().queued).toBeGreaterThan(0);
    await broker.start();
    await publishChunk(200, 300);
    await sink.flush(60_000);
    expect(sink.stats().queued).toBe(0);

    const { events: seen } = await consumeTopic(topic, events.length, { brokers: [broker.brokers], timeoutMs: 30_000 });
    // Every message the topic holds (no transactions: one offset per message), copies included.
    const admin = kafka.admin();
    await admin.connect();
    const onTopic = (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
    await admin.disconnect();
    const delivered = new Set(seen.map((event) => event.id));
    const idsOf = (list: typeof events, subject: string) => list.filter((event) => event.subject === subject).map((event) => event.id).join();
    const subjects = [...new Set(events.map((event) => event.subject))];
    recordRow(EVENT_FAULTS, 'Kafka broker killed (SIGKILL) mid-stream, then restarted (real broker)', {
      cases: events.length,
      'faults injected': 1,
      'delivered once': delivered.size,
      lost: events.filter((event) => !delivered.has(event.id)).length,
      duplicated: seen.length - delivered.size,
      'same-id copies (dropped by consumers)': onTopic - delivered.size,
      counted: 'events by id, every message on the topic read back',
      'published while the broker was down (held in the outbox)': 100,
      'failed sends retried': sink.stats().failedSends,
      'images whose events kept their order': `${subjects.filter((subject) => idsOf(seen, subject) === idsOf(events, subject)).length} of ${subjects.length}`,
    }, import.meta.filename);
    expect(seen).toHaveLength(events.length);
    expect(new Set(seen.map((event) => event.id)).size).toBe(events.length);
    for (const subject of new Set(events.map((event) => event.subject))) {
      const order = (list: typeof events) => list.filter((event) => event.subject === subject).map((event) => event.id);
      expect(order(seen)).toEqual(order(events));
    }
    expect(sink.stats().failedSends).toBeGreaterThan(0);
    const logged = (console.log as jest.Mock).mock.calls.map(([line]) => String(line));
    expect(logged.some((line) => line.includes('"EventBrokerReconnected":1'))).toBe(true);
    await sink.close();
  }, 300_000); // the broker's restart alone may take minutes on a busy machine (see startKafka)
});

test('the test broker is the one globalSetup started', () => {
  expect(testBrokers()[0]).toMatch(/^127\.0\.0\.1:\d+$/);
});

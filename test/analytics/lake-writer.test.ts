import { jest } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { handler, run, startLakeConsumer, type MskEvent, type MskRecord } from '../../analytics/lake-writer.js';
import { s3Client } from '../../core/adapters/aws/s3-client.js';
import { KafkaEventSink } from '../../core/adapters/aws/kafka-event-sink.js';
import { DiskOutbox } from '../../core/adapters/event-files/disk-outbox.js';
import { FsStorage } from '../../core/adapters/local/fs-storage.js';
import { JsonlEventSink } from '../../core/adapters/local/jsonl-event-sink.js';
import { readEventLog } from '../../core/adapters/local/jsonl-event-log.js';
import { listAll } from '../../core/ports/storage.js';
import type { ShutterEvent } from '../../core/ports/event-sink.js';
import { renditionEvent, testKafka, uniqueTopic } from '../helpers/events.js';

const record = (event: ShutterEvent | string, offset: number, partition = 0): MskRecord => ({
  topic: 'shutter.image-events',
  partition,
  offset,
  timestamp: 1772366400000,
  timestampType: 'CREATE_TIME',
  key: Buffer.from(typeof event === 'string' ? 'x' : event.subject).toString('base64'),
  value: Buffer.from(typeof event === 'string' ? event : JSON.stringify(event)).toString('base64'),
  headers: [{ 'content-type': [...Buffer.from('application/cloudevents+json; charset=UTF-8')] }],
});

async function lake() {
  const root = await mkdtemp(path.join(tmpdir(), 'shutter-lake-'));
  const storage = new FsStorage(root);
  const read = async () => {
    const lines: Record<string, ShutterEvent[]> = {};
    for await (const object of listAll(storage, 'lake')) {
      lines[object.key] = (await storage.get('lake', object.key)).body.toString().split('\n').filter(Boolean).map((line) => JSON.parse(line) as ShutterEvent);
    }
    return lines;
  };
  return { storage, read };
}

describe('lake writer (MSK event source → S3)', () => {
  test('writes each partition’s batch per day under events/dt=…/, without copies, skipping invalid messages', async () => {
    const warn = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const { storage, read } = await lake();
    const day1 = renditionEvent(1, 7, new Date('2026-03-01T23:59:00Z'));
    const day2 = renditionEvent(2, 7, new Date('2026-03-02T00:01:00Z'));
    const other = renditionEvent(3);
    const event: MskEvent = {
      eventSource: 'aws:kafka',
      eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/shutter/abc',
      records: {
        'shutter.image-events-0': [record(day1, 41), record(day1, 42), record('not json', 43), record(day2, 44)],
        'shutter.image-events-1': [record(other, 7)],
      },
    };
    const result = await run(event, { storage, bucket: 'lake' });
    expect(result).toMatchObject({ written: 3, duplicates: 1, invalid: 1 });
    expect(await read()).toEqual({
      'events/dt=2026-03-01/shutter.image-events-0-00000000000000000041.jsonl': [day1],
      'events/dt=2026-03-02/shutter.image-events-0-00000000000000000041.jsonl': [day2],
      'events/dt=2026-03-01/shutter.image-events-1-00000000000000000007.jsonl': [other],
    });
    // Lambda retries a failed batch: the same objects are rewritten, nothing is added.
    await run(event, { storage, bucket: 'lake' });
    expect(Object.keys(await read())).toHaveLength(3);
    warn.mockRestore();
  });

  test('the Lambda entry (the events-archiver bundle) writes to LAKE_BUCKET under LAKE_PREFIX in S3 (moto), the same keys when a batch is delivered again', async () => {
    const endpoint = process.env.SHUTTER_TEST_S3_ENDPOINT;
    if (!endpoint) throw new Error('SHUTTER_TEST_S3_ENDPOINT is not set: moto_server did not start (test/services/global-setup.mjs)');
    const bucket = `lake-${Math.random().toString(36).slice(2, 10)}`;
    // What the stack sets on the archiver (infra/event-streaming.ts), with moto in place of S3.
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_LAMBDA_FUNCTION_NAME: 'shutter-events-archiver',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      S3_ENDPOINT: endpoint,
      LAKE_BUCKET: bucket,
      LAKE_PREFIX: 'lake/events/',
      SOURCE_BUCKETS: bucket,
    });
    const s3 = s3Client({ region: 'eu-west-1', s3Endpoint: endpoint });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const event: MskEvent = { eventSource: 'aws:kafka', records: { 'shutter.image-events-2': [record(renditionEvent(4), 10), record(renditionEvent(5), 11)] } };
    const listKeys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((object) => object.Key).sort();

    try {
      await expect(handler(event)).resolves.toMatchObject({ written: 2, invalid: 0 });
      const keys = await listKeys();
      expect(keys).toEqual(['lake/events/dt=2026-03-01/shutter.image-events-2-00000000000000000010.jsonl']);
      await handler(event);
      expect(await listKeys()).toEqual(keys);
    } finally {
      process.env = saved;
    }
  });
});

describe('local lake consumer (Kafka → JSON lines)', () => {
  test('consumes the topic into the local events folder, once per event', async () => {
    const topic = uniqueTopic('lake');
    const producer = new KafkaEventSink({ kafka: testKafka(), topic, outbox: new DiskOutbox({ dir: await mkdtemp(path.join(tmpdir(), 'shutter-outbox-')) }) });
    const events = Array.from({ length: 20 }, (_, n) => renditionEvent(n));
    await producer.publish(events);
    await producer.publish(events.slice(0, 5)); // copies, as a replayed outbox would send
    await producer.flush();
    await producer.close();

    const dir = await mkdtemp(path.join(tmpdir(), 'shutter-events-'));
    const sink = new JsonlEventSink({ dir });
    const consumer = await startLakeConsumer({ kafka: testKafka(), topic, sink, groupId: `lake-${topic}` });
    const seen: string[] = [];
    const controller = new AbortController();
    // Joining a consumer group takes seconds on a busy machine (another broker may be starting).
    const timer = setTimeout(() => controller.abort(), 100_000);
    for await (const line of readEventLog(dir, { follow: true, pollMs: 100, signal: controller.signal })) {
      seen.push((JSON.parse(line) as ShutterEvent).id);
      if (seen.length === events.length) break;
    }
    clearTimeout(timer);
    // The copies come after the originals; wait until the consumer has seen (and dropped) them.
    for (const until = Date.now() + 30_000; consumer.counts.duplicates < 5 && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 50));
    await consumer.stop();
    await sink.close();
    const lines: string[] = [];
    for await (const line of readEventLog(dir)) lines.push((JSON.parse(line) as ShutterEvent).id);
    expect(lines.sort()).toEqual(events.map((event) => event.id).sort());
    expect(consumer.counts.duplicates).toBe(5);
  }, 180_000);
});

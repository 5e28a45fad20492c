/**
 * Where events go, chosen once in the composition root (`createEventSink`): Kafka with
 * KAFKA_BROKERS; the lake bucket with LAKE_BUCKET (Lambda with streaming off, against moto S3);
 * JSON lines on disk otherwise (the local default); and, in Lambda with neither, a refusal that
 * names the missing setting instead of a write under the read-only task root.
 */
import { jest } from '@jest/globals';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LakeEventSink } from '../../core/adapters/lake-event-sink.js';
import { readEventLog } from '../../core/adapters/local/jsonl-event-log.js';
import { JsonlEventSink } from '../../core/adapters/local/jsonl-event-sink.js';
import { s3Client } from '../../core/adapters/aws/s3-client.js';
import { createEventSink, createPlatform } from '../../core/compose.js';
import { loadConfig } from '../../core/config.js';
import { silentLogger } from '../../core/observability/logger.js';
import type { ShutterEvent } from '../../core/ports/event-sink.js';
import * as handleFailure from '../../tasks/handle-failure.js';
import { taskDepsFrom } from '../../tasks/task-deps.js';
import { consumeTopic, renditionEvent, testBrokers, uniqueTopic } from '../helpers/events.js';

const FAILURE = {
  executionId: 'arn:aws:states:eu-west-1:000000000000:execution:image:abc',
  imageId: 'uploads/a.jpg',
  source: { bucket: 'uploads', key: 'a.jpg' },
  error: { Error: 'ImageError', Cause: '[ImageSource::CorruptImage|inspect] The source image is corrupt.' },
};

// The SDK's credential chain reads these from the process (moto accepts any).
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-sink-choice-'));
});
afterEach(async () => {
  jest.restoreAllMocks();
  await rm(dataDir, { recursive: true, force: true });
});

/** A Lambda's environment, with the task root standing in as `SHUTTER_DATA_DIR` (nothing may appear there). */
function lambdaEnv(extra: Record<string, string>): Record<string, string> {
  return {
    AWS_LAMBDA_FUNCTION_NAME: 'shutter-task-handle-failure',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    SHUTTER_DATA_DIR: dataDir,
    SOURCE_BUCKETS: 'uploads',
    ANALYZER: 'attention',
    ...extra,
  };
}

async function lakeBucket(): Promise<{ bucket: string; endpoint: string }> {
  const endpoint = process.env.SHUTTER_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('SHUTTER_TEST_S3_ENDPOINT is not set: moto_server did not start (test/services/global-setup.mjs)');
  const bucket = `lake-${Math.random().toString(36).slice(2, 10)}`;
  await s3Client({ region: 'eu-west-1', s3Endpoint: endpoint }).send(new CreateBucketCommand({ Bucket: bucket }));
  return { bucket, endpoint };
}

async function lakeContents(endpoint: string, bucket: string): Promise<Record<string, ShutterEvent[]>> {
  const s3 = s3Client({ region: 'eu-west-1', s3Endpoint: endpoint });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const contents: Record<string, ShutterEvent[]> = {};
  for (const { Key } of listed.Contents ?? []) {
    const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: Key! }))).Body!.transformToString();
    contents[Key!] = body.split('\n').filter(Boolean).map((line) => JSON.parse(line) as ShutterEvent);
  }
  return contents;
}

describe('createEventSink', () => {
  test('Kafka when KAFKA_BROKERS is set (in Lambda too), even with a lake bucket: the event reaches the topic', async () => {
    const topic = uniqueTopic('sink-choice');
    const config = loadConfig(
      lambdaEnv({ KAFKA_BROKERS: testBrokers().join(','), KAFKA_TOPIC: topic, EVENTS_OUTBOX_DIR: path.join(dataDir, 'outbox'), LAKE_BUCKET: 'lake-unused', S3_ENDPOINT: 'http://127.0.0.1:1' }),
    );
    const sink = createEventSink(config, createPlatform(config, { events: new JsonlEventSink({ dir: dataDir }) }).storage);
    expect(sink).not.toBeInstanceOf(LakeEventSink);
    const event = renditionEvent(9);
    await sink.publish([event], { awaitDelivery: true });
    await sink.close();
    const { events } = await consumeTopic(topic, 1);
    expect(events.map((received) => received.id)).toEqual([event.id]);
  });

  test('the local default is unchanged: JSON lines under the data folder (the log loads with the first event)', async () => {
    const config = loadConfig({ SHUTTER_DATA_DIR: dataDir, SOURCE_BUCKETS: 'uploads' });
    const sink = createEventSink(config, createPlatform(config).storage);
    const event = renditionEvent(3);
    await sink.publish([event]);
    await sink.close();
    const lines: string[] = [];
    for await (const line of readEventLog(path.join(dataDir, 'events'))) lines.push(line);
    expect(lines.map((line) => (JSON.parse(line) as ShutterEvent).id)).toEqual([event.id]);
  });

  test('in Lambda with neither Kafka nor a lake, publishing fails with a ConfigError naming both, and writes nothing', async () => {
    const config = loadConfig(lambdaEnv({ S3_ENDPOINT: 'http://127.0.0.1:1' }));
    const sink = createEventSink(config, createPlatform(config).storage);
    await expect(sink.publish([renditionEvent(1)])).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/KAFKA_BROKERS.*LAKE_BUCKET/),
    });
    expect(await readdir(dataDir)).toEqual([]);
  });
});

describe('streaming off in Lambda: events to the lake bucket (moto S3)', () => {
  test('the handle-failure task writes its event as one lake object under events/dt=…/, and nothing under the task root', async () => {
    const { bucket, endpoint } = await lakeBucket();
    const config = loadConfig(lambdaEnv({ LAKE_BUCKET: bucket, S3_ENDPOINT: endpoint }));
    const platform = createPlatform(config);
    expect(platform.events).toBeInstanceOf(LakeEventSink);
    const run = handleFailure.handler.withDeps(taskDepsFrom(platform, { log: silentLogger }));

    await expect(run(FAILURE)).resolves.toMatchObject({ error: 'ImageError' });
    const first = await lakeContents(endpoint, bucket);
    const keys = Object.keys(first);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^events\/dt=\d{4}-\d{2}-\d{2}\/[0-9a-f]{32}\.jsonl$/);
    const [event] = first[keys[0]!]!;
    expect(event).toMatchObject({ type: 'image.workflow.failed', subject: 'uploads/a.jpg' });
    expect(keys[0]).toContain(`dt=${event!.time.slice(0, 10)}`);
    expect(await readdir(dataDir)).toEqual([]);
  });

  test('a batch published again (a retried task) writes the same key and bytes: no copy in the lake', async () => {
    const { bucket, endpoint } = await lakeBucket();
    const config = loadConfig(lambdaEnv({ LAKE_BUCKET: bucket, S3_ENDPOINT: endpoint }));
    const { events } = createPlatform(config);
    const day1 = renditionEvent(1, 7, new Date('2026-03-01T23:59:00Z'));
    const day2 = renditionEvent(2, 7, new Date('2026-03-02T00:01:00Z'));
    await events.publish([day1, day2, day1]);
    const once = await lakeContents(endpoint, bucket);
    await events.publish([day2, day1]);
    expect(await lakeContents(endpoint, bucket)).toEqual(once);
    expect(Object.entries(once).map(([key, lines]) => [key.slice(0, 'events/dt=2026-03-01'.length), lines.map((line) => line.id)])).toEqual([
      ['events/dt=2026-03-01', [day1.id]],
      ['events/dt=2026-03-02', [day2.id]],
    ]);
  });

  test('LAKE_PREFIX moves the table (a trailing slash is added)', async () => {
    const { bucket, endpoint } = await lakeBucket();
    const { events } = createPlatform(loadConfig(lambdaEnv({ LAKE_BUCKET: bucket, LAKE_PREFIX: 'lake/events', S3_ENDPOINT: endpoint })));
    await events.publish([renditionEvent(3)]);
    expect(Object.keys(await lakeContents(endpoint, bucket))).toEqual([expect.stringMatching(/^lake\/events\/dt=2026-03-01\/[0-9a-f]{32}\.jsonl$/)]);
  });
});

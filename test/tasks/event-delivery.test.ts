/**
 * Where a task's events are safe once `publish` returns. Locally: in the disk outbox, which
 * delivers them when the broker is back. In Lambda the outbox is in /tmp, lost with the
 * container, so a task waits for the broker and an undelivered event fails the task with a
 * retryable error (Step Functions retries it; the events keep their ids, consumers dedupe).
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kafkaEventSink } from '../../core/adapters/aws/kafka-event-sink.js';
import { createPlatform } from '../../core/compose.js';
import { loadConfig } from '../../core/config.js';
import { RETRYABLE_ERROR_NAMES } from '../../core/errors.js';
import { silentLogger } from '../../core/observability/logger.js';
import * as handleFailure from '../../tasks/handle-failure.js';
import { taskDepsFrom } from '../../tasks/task-deps.js';
import { consumeTopic, testBrokers, uniqueTopic } from '../helpers/events.js';

const FAILURE = {
  executionId: 'arn:aws:states:eu-west-1:000000000000:execution:image:abc',
  imageId: 'uploads/a.jpg',
  source: { bucket: 'uploads', key: 'a.jpg' },
  error: { Error: 'ImageError', Cause: '[ImageSource::CorruptImage|inspect] The source image is corrupt.' },
};

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-delivery-'));
  // The unreachable broker makes the sink log its failed sends (EMF lines).
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(async () => {
  jest.restoreAllMocks();
  await rm(dataDir, { recursive: true, force: true });
});

/** The handle-failure task (it publishes one event) over Kafka at `brokers`, in Lambda or not. */
function failureTask(options: { lambda: boolean; brokers: string; topic: string }) {
  const config = loadConfig({
    SHUTTER_DATA_DIR: dataDir,
    SHUTTER_STORAGE: 'local',
    ANALYZER: 'attention',
    WORKFLOW_ENGINE: 'local',
    KAFKA_BROKERS: options.brokers,
    KAFKA_TOPIC: options.topic,
    EVENTS_OUTBOX_DIR: path.join(dataDir, 'outbox'),
    ...(options.lambda ? { AWS_LAMBDA_FUNCTION_NAME: 'shutter-handle-failure', AWS_REGION: 'eu-west-1' } : {}),
  });
  const sink = kafkaEventSink(config.events.kafka!, config);
  const deps = taskDepsFrom(createPlatform(config, { events: sink }), { log: silentLogger });
  return { run: handleFailure.handler.withDeps(deps), sink };
}

test('in Lambda, an event the broker does not take fails the task with a retryable error', async () => {
  const { run, sink } = failureTask({ lambda: true, brokers: '127.0.0.1:1', topic: uniqueTopic('lambda-down') });
  try {
    const error = await run(FAILURE).catch((caught: Error) => caught);
    expect(error).toMatchObject({ name: 'TransientError', message: expect.stringMatching(/^\[Events::Undelivered\|handle-failure\] /) });
    expect(RETRYABLE_ERROR_NAMES).toContain((error as Error).name);
  } finally {
    await sink.close(100);
  }
});

test('in Lambda, the task returns once the broker has its event', async () => {
  const topic = uniqueTopic('lambda-up');
  const { run, sink } = failureTask({ lambda: true, brokers: testBrokers().join(','), topic });
  try {
    await expect(run(FAILURE)).resolves.toMatchObject({ error: 'ImageError', code: 'ImageSource::CorruptImage' });
    expect(sink.stats()).toMatchObject({ sent: 1, queued: 0 }); // delivered before the task returned, not later
    const { events } = await consumeTopic(topic, 1);
    expect(events.map((event) => event.type)).toEqual(['image.workflow.failed']);
  } finally {
    await sink.close();
  }
});

test('locally, the task returns once its event is in the disk outbox, which keeps it while the broker is down', async () => {
  const { run, sink } = failureTask({ lambda: false, brokers: '127.0.0.1:1', topic: uniqueTopic('local-down') });
  try {
    await expect(run(FAILURE)).resolves.toMatchObject({ error: 'ImageError' });
    expect(sink.stats()).toMatchObject({ appended: 1, queued: 1, sent: 0 });
  } finally {
    await sink.close(100);
  }
});

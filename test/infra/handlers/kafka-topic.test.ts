/**
 * The topic custom resource against the real Kafka broker (plaintext here; MSK's IAM auth is
 * core/compose.ts kafkaConfig's, tested with the event sink), answering CloudFormation's
 * response URL (a local server standing in for the pre-signed S3 URL, same PUT).
 */
import { Kafka, logLevel } from 'kafkajs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { handler, type CustomResourceEvent, type CustomResourceResponse } from '../../../infra/handlers/kafka-topic.js';

const brokers = process.env.KAFKA_TEST_BROKERS!;
const kafka = new Kafka({ clientId: 'topic-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
let server: http.Server;
let responseUrl: string;
const answers: Array<{ headers: http.IncomingHttpHeaders; body: CustomResourceResponse }> = [];

beforeAll(async () => {
  expect(brokers).toBeTruthy();
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      answers.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString()) as CustomResourceResponse });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cfn-response?X-Amz-Signature=abc`;
  await admin.connect();
});

afterAll(async () => {
  await admin.disconnect();
  await new Promise((resolve) => server.close(resolve));
});

const context = { getRemainingTimeInMillis: () => 60_000 };

function event(
  requestType: CustomResourceEvent['RequestType'],
  properties: Partial<CustomResourceEvent['ResourceProperties']> & { Topic: string },
  physicalId?: string,
): CustomResourceEvent {
  return {
    RequestType: requestType,
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Shutter/1234',
    RequestId: `request-${answers.length}`,
    LogicalResourceId: 'StreamingTopic',
    ...(physicalId ? { PhysicalResourceId: physicalId } : {}),
    ResourceProperties: { Brokers: brokers, Partitions: '3', Sasl: 'none', Tls: 'false', DeleteOnStackDelete: 'false', ...properties },
  };
}

async function send(request: CustomResourceEvent): Promise<CustomResourceResponse> {
  const before = answers.length;
  await handler(request, context);
  expect(answers).toHaveLength(before + 1);
  return answers.at(-1)!.body;
}

const partitionsOf = async (topic: string) =>
  (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.length;

/**
 * A broker's metadata catches up with a change a moment after the change is acknowledged, longer
 * on a busy machine: read until `check` holds or 30 s have passed, then return the last reading.
 */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  let value = await read();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

test('Create makes the topic with its partitions, and answers CloudFormation with the topic as physical id', async () => {
  const topic = `cr-create-${Date.now()}`;
  const answer = await send(event('Create', { Topic: topic }));
  expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: topic, LogicalResourceId: 'StreamingTopic', Data: { Topic: topic } });
  expect(await eventually(() => admin.listTopics(), (topics) => topics.includes(topic))).toContain(topic);
  expect(await eventually(() => partitionsOf(topic), (count) => count === 3)).toBe(3);
  // The pre-signed URL is signed without a content type.
  expect(answers.at(-1)!.headers['content-type'] ?? '').toBe('');
});

test('Create and Update are idempotent: an existing topic keeps its events', async () => {
  const topic = `cr-idempotent-${Date.now()}`;
  await send(event('Create', { Topic: topic }));
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'a', value: 'kept' }] });
  await producer.disconnect();
  expect(await send(event('Create', { Topic: topic }))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: topic });
  expect(await send(event('Update', { Topic: topic }, topic))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: topic });
  const offsets = await admin.fetchTopicOffsets(topic);
  expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(1);
});

test('Update adds partitions, and refuses to remove any', async () => {
  const topic = `cr-partitions-${Date.now()}`;
  await send(event('Create', { Topic: topic }));
  expect(await send(event('Update', { Topic: topic, Partitions: '5' }, topic))).toMatchObject({ Status: 'SUCCESS' });
  expect(await eventually(() => partitionsOf(topic), (count) => count === 5)).toBe(5);
  const refused = await send(event('Update', { Topic: topic, Partitions: '2' }, topic));
  expect(refused).toMatchObject({ Status: 'FAILED', PhysicalResourceId: topic });
  expect(refused.Reason).toMatch(/cannot reduce/);
  expect(await partitionsOf(topic)).toBe(5);
});

test('Delete keeps the topic and its data unless DeleteOnStackDelete is true', async () => {
  const topic = `cr-delete-${Date.now()}`;
  await send(event('Create', { Topic: topic }));
  expect(await send(event('Delete', { Topic: topic }, topic))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: topic });
  expect(await admin.listTopics()).toContain(topic);
  expect(await send(event('Delete', { Topic: topic, DeleteOnStackDelete: 'true' }, topic))).toMatchObject({ Status: 'SUCCESS' });
  const deadline = Date.now() + 30_000;
  while ((await admin.listTopics()).includes(topic) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  expect(await admin.listTopics()).not.toContain(topic);
});

test("a failed Create's rollback Delete touches no topic of that name", async () => {
  const topic = `cr-rollback-${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  expect(await eventually(() => admin.listTopics(), (topics) => topics.includes(topic))).toContain(topic);
  const failed = await send(event('Create', { Topic: topic, Partitions: 'many' }));
  expect(failed).toMatchObject({ Status: 'FAILED' });
  expect(failed.PhysicalResourceId).not.toBe(topic);
  await send(event('Delete', { Topic: topic, DeleteOnStackDelete: 'true' }, failed.PhysicalResourceId));
  expect(await admin.listTopics()).toContain(topic);
});

test('an unreachable cluster fails the resource in time, never leaving CloudFormation waiting', async () => {
  const answer = await (async () => {
    const before = answers.length;
    await handler(
      { ...event('Create', { Topic: 'never', Brokers: '127.0.0.1:1' }) },
      { getRemainingTimeInMillis: () => 12_000 },
    );
    expect(answers).toHaveLength(before + 1);
    return answers.at(-1)!.body;
  })();
  expect(answer.Status).toBe('FAILED');
}, 60_000);

/** Sample events of every type, and a reader of a Kafka topic for tests. */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_CLIENT_RETRY } from '../../core/adapters/aws/kafka-client.js';
import { buildEvent, imageId } from '../../core/events/build-event.js';
import { IdempotentConsumer } from '../../core/events/idempotent-consumer.js';
import type { ShutterEvent } from '../../core/ports/event-sink.js';

/** The test broker globalSetup started; a test that needs it fails (never skips) without it. */
export function testBrokers(): string[] {
  const brokers = process.env.KAFKA_TEST_BROKERS;
  if (!brokers) throw new Error('KAFKA_TEST_BROKERS is not set: the Kafka test broker did not start (see test/services/global-setup.mjs)');
  return brokers.split(',');
}

export function testKafka(brokers = testBrokers()): Kafka {
  return new Kafka({ clientId: 'shutter-test', brokers, logLevel: logLevel.NOTHING, retry: KAFKA_CLIENT_RETRY });
}

export const uniqueTopic = (name: string) => `test.${name}.${randomUUID().slice(0, 8)}`;

/** A `image.rendition.created` event for image `n` (of a few images, so keys repeat and order matters). */
export function renditionEvent(n: number, images = 7, time = new Date('2026-03-01T12:00:00Z')): ShutterEvent {
  const key = `photo-${n % images}.jpg`;
  return buildEvent('image.rendition.created', {
    source: 'shutter/test',
    subject: imageId('images', key),
    time,
    data: {
      image: { bucket: 'images', key },
      execution_id: `exec-${n % images}`,
      rendition: { name: 'thumbnail', format: 'webp', width: 200, height: 150, bytes: 1000 + n, bucket: 'renditions', key: `thumbnail/${n}.webp` },
      duration_ms: n,
    },
  });
}

/**
 * Reads a topic from the beginning through an IdempotentConsumer until `expected` distinct
 * events arrived (or `timeoutMs` passed), and returns them in arrival order plus the copies seen.
 */
export async function consumeTopic(
  topic: string,
  expected: number,
  options: { brokers?: string[]; timeoutMs?: number } = {},
): Promise<{ events: ShutterEvent[]; duplicates: number; partitions: Map<string, Set<number>> }> {
  const kafka = testKafka(options.brokers);
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
  const events: ShutterEvent[] = [];
  const partitions = new Map<string, Set<number>>();
  const idempotent = new IdempotentConsumer((event) => void events.push(event));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${events.length} of ${expected} events arrived on ${topic}`)), options.timeoutMs ?? 20_000);
      consumer
        .run({
          eachMessage: async ({ message, partition }) => {
            const key = message.key?.toString() ?? '';
            partitions.set(key, (partitions.get(key) ?? new Set()).add(partition));
            await idempotent.handleMessage(message.value);
            if (events.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return { events, duplicates: idempotent.counts.duplicates, partitions };
}

/**
 * Events from Kafka into the lake, as JSON lines partitioned by date, through an
 * IdempotentConsumer (copies from at-least-once delivery are dropped here; copies further apart
 * are dropped by the `events_once` view the queries read, analytics/tables.ts).
 *
 * - AWS: {@link handler} is a Lambda with an MSK event source. Each invocation writes one
 *   object per topic-partition and day, named after the batch's first offset
 *   (`events/dt=…/<topic>-<partition>-<offset>.jsonl`), so a retried batch overwrites its own
 *   object instead of adding a copy.
 * - Locally with KAFKA_BROKERS: {@link startLakeConsumer} (run by `shutter serve`) appends to
 *   the local JSON-lines sink, which DuckDB reads.
 */
import type { Kafka } from 'kafkajs';
import { loadConfig } from '../core/config.js';
import { createPlatform } from '../core/compose.js';
import { ConfigError } from '../core/errors.js';
import { partitionOf } from '../core/events/lake-objects.js';
import { parseEvent } from '../core/events/build-event.js';
import { IdempotentConsumer } from '../core/events/idempotent-consumer.js';
import type { EventSink, ShutterEvent } from '../core/ports/event-sink.js';
import type { Storage } from '../core/ports/storage.js';

/** A record of Lambda's MSK event source: the value is base64. */
export interface MskRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: string;
  key?: string;
  value?: string;
  headers?: Array<Record<string, number[]>>;
}

/** Lambda's MSK event: records grouped by `<topic>-<partition>`. */
export interface MskEvent {
  eventSource: 'aws:kafka' | 'SelfManagedKafka';
  eventSourceArn?: string;
  bootstrapServers?: string;
  records: Record<string, MskRecord[]>;
}

export interface LakeWriterDeps {
  storage: Storage;
  bucket: string;
  /** Prefix of the events table in the bucket (Glue table location). */
  prefix?: string;
}

export interface LakeWriteResult {
  written: number;
  duplicates: number;
  invalid: number;
  objects: string[];
}

/** Writes one MSK batch to the lake. Invalid messages are logged and skipped: one bad message must not block a partition. */
export async function run(event: MskEvent, deps: LakeWriterDeps): Promise<LakeWriteResult> {
  const result: LakeWriteResult = { written: 0, duplicates: 0, invalid: 0, objects: [] };
  const byObject = new Map<string, string[]>();
  for (const [group, records] of Object.entries(event.records)) {
    if (records.length === 0) continue;
    const first = records.reduce((min, record) => Math.min(min, record.offset), Number.POSITIVE_INFINITY);
    const batch = `${group}-${String(first).padStart(20, '0')}`;
    const consumer = new IdempotentConsumer((parsed: ShutterEvent) => {
      const key = `${deps.prefix ?? 'events/'}${partitionOf(parsed)}/${batch}.jsonl`;
      byObject.set(key, [...(byObject.get(key) ?? []), JSON.stringify(parsed)]);
    });
    for (const record of records) {
      try {
        await consumer.handleMessage(record.value === undefined ? null : Buffer.from(record.value, 'base64'));
      } catch (error) {
        result.invalid++;
        console.error(JSON.stringify({ level: 'warn', msg: 'lake writer: skipping an invalid message', topic: record.topic, partition: record.partition, offset: record.offset, error: (error as Error).message }));
      }
    }
    result.written += consumer.counts.handled;
    result.duplicates += consumer.counts.duplicates;
  }
  for (const [key, lines] of byObject) {
    await deps.storage.put(deps.bucket, key, Buffer.from(lines.join('\n') + '\n'), { contentType: 'application/x-ndjson' });
    result.objects.push(key);
  }
  return result;
}

let deps: LakeWriterDeps | undefined;
/** The Lambda entry, bundled as `events-archiver` (MSK event source → this → S3). Needs LAKE_BUCKET; LAKE_PREFIX defaults to `events/`. */
export async function handler(event: MskEvent): Promise<LakeWriteResult> {
  if (!deps) {
    const config = loadConfig(process.env);
    if (!config.events.lakeBucket) throw new ConfigError(['LAKE_BUCKET must name the lake bucket for the lake writer']);
    deps = { storage: createPlatform(config).storage, bucket: config.events.lakeBucket, prefix: config.events.lakePrefix };
  }
  return run(event, deps);
}

/**
 * Consumes the topic into a local sink (the JSON-lines folder DuckDB reads), committing offsets
 * only after the sink has the events on disk.
 */
export async function startLakeConsumer(options: { kafka: Kafka; topic: string; sink: EventSink; groupId?: string; fromBeginning?: boolean }): Promise<{ stop(): Promise<void>; counts: IdempotentConsumer['counts'] }> {
  const consumer = options.kafka.consumer({ groupId: options.groupId ?? 'shutter-lake' });
  const idempotent = new IdempotentConsumer(() => undefined);
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning ?? true });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const events: ShutterEvent[] = [];
      for (const message of batch.messages) {
        try {
          if (message.value) events.push(parseEvent(JSON.parse(message.value.toString())));
        } catch (error) {
          console.error(JSON.stringify({ level: 'warn', msg: 'lake consumer: skipping an invalid message', partition: batch.partition, offset: message.offset, error: (error as Error).message }));
        }
      }
      // If the sink fails, the offsets stay unresolved and kafkajs redelivers the batch in full.
      await idempotent.handleBatch(events, (fresh) => options.sink.publish(fresh));
      const last = batch.messages.at(-1);
      if (last) resolveOffset(last.offset);
      await heartbeat();
    },
  });
  return { stop: () => consumer.disconnect(), counts: idempotent.counts };
}

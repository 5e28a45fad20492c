/**
 * The Kafka (Amazon MSK) EventSink. `publish` appends to the on-disk outbox and resolves once
 * the events are fsync'd there; one sender drains the outbox to the topic in order, batch by
 * batch, and removes what the broker acknowledged.
 *
 * Producer: idempotent (the broker drops a retried batch it already has), acks=all, gzip
 * (built into kafkajs; native codecs would add build steps for little gain on JSON), one request
 * in flight so one image's events keep their order. Messages are keyed by the event's subject
 * (the image id) and use the CloudEvents Kafka binding's structured mode: the value is the whole
 * event as JSON, `content-type: application/cloudevents+json`.
 *
 * When the broker is unreachable the sender backs off (doubling, with jitter, capped) and
 * reconnects; the outbox keeps everything meanwhile (bounded, see {@link DiskOutbox}).
 *
 * `publish(events, { awaitDelivery: true })` (workflow tasks in Lambda, whose /tmp outbox does
 * not outlive the container) resolves only once the broker acknowledged the events, and fails
 * with `Events::Undelivered` (a TransientError: Step Functions retries the task, and the retry
 * re-sends the same event ids) when a send fails or the flush timeout passes first.
 */
import { CompressionTypes, Partitioners, type Kafka, type Producer } from 'kafkajs';
import { TransientError } from '../../errors.js';
import { DEFAULTS } from '../../limits.js';
import { logMetric } from '../../observability/metric-log.js';
import type { EventSink, PublishOptions, ShutterEvent } from '../../ports/event-sink.js';
import { validEvent } from '../../events/build-event.js';
import type { Config } from '../../config.js';
import { DiskOutbox, type OutboxStats } from '../event-files/disk-outbox.js';
import { kafkaClient } from './kafka-client.js';

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';

/** Events a caller waits to see delivered (`awaitDelivery`): the broker did not take them in time. */
export class UndeliveredEventsError extends TransientError {
  constructor(reason: string) {
    super('Events::Undelivered', `The events were not delivered to the broker: ${reason}.`, 503);
  }
}

export interface KafkaEventSinkOptions {
  kafka: Kafka;
  topic: string;
  outbox: DiskOutbox;
  batchEvents?: number;
  backoffMs?: { initial: number; max: number };
  flushTimeoutMs?: number;
}

export interface KafkaSinkStats extends OutboxStats {
  connected: boolean;
  sent: number;
  failedSends: number;
}

export class KafkaEventSink implements EventSink {
  readonly topic: string;
  private readonly kafka: Kafka;
  private readonly outbox: DiskOutbox;
  private readonly batchEvents: number;
  private readonly backoff: { initial: number; max: number };
  private readonly flushTimeoutMs: number;
  private producer: Producer | undefined;
  private connected = false;
  private closed = false;
  /** Wakes the idle sender when events arrive. */
  private wakeIdle: (() => void) | undefined;
  /** Ends a backoff early, only when closing: new events must not shorten a backoff. */
  private wakeSleeping: (() => void) | undefined;
  private readonly drained = new Set<() => void>();
  /** Publishers waiting for their events to be acknowledged (`awaitDelivery`). */
  private readonly deliveries = new Set<{ position: number; resolve: () => void; reject: (error: Error) => void }>();
  private readonly loop: Promise<void>;
  private readonly counters = { sent: 0, failedSends: 0 };
  private readonly unsubscribe: () => void;

  constructor(options: KafkaEventSinkOptions) {
    this.kafka = options.kafka;
    this.topic = options.topic;
    this.outbox = options.outbox;
    this.batchEvents = options.batchEvents ?? DEFAULTS.kafkaBatchEvents;
    this.backoff = options.backoffMs ?? DEFAULTS.kafkaRetryBackoffMs;
    this.flushTimeoutMs = options.flushTimeoutMs ?? DEFAULTS.eventFlushTimeoutMs;
    this.unsubscribe = this.outbox.onAppend(() => this.wakeIdle?.());
    this.loop = this.run();
  }

  async publish(events: readonly ShutterEvent[], options: PublishOptions = {}): Promise<void> {
    if (this.closed) throw new Error('KafkaEventSink is closed');
    const position = await this.outbox.append(events.map((event) => validEvent(event)));
    if (options.awaitDelivery) await this.delivered(position);
  }

  /** Resolves once the outbox acknowledged `position`; rejects on the next failed send or after the flush timeout. */
  private delivered(position: number): Promise<void> {
    if (this.outbox.acknowledgedPosition >= position) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        position,
        resolve: () => settle(),
        reject: (error: Error) => settle(error),
      };
      const timer = setTimeout(() => waiter.reject(new UndeliveredEventsError(`no acknowledgement within ${this.flushTimeoutMs} ms`)), this.flushTimeoutMs);
      const settle = (error?: Error) => {
        clearTimeout(timer);
        this.deliveries.delete(waiter);
        if (error) reject(error);
        else resolve();
      };
      this.deliveries.add(waiter);
    });
  }

  /**
   * Waits until the outbox is empty (everything delivered), at most `timeoutMs`. Past that the
   * events remain durably queued and are sent when the broker is back; `flush` still resolves,
   * as the port promises; `stats().queued` tells how many are left.
   */
  async flush(timeoutMs = this.flushTimeoutMs): Promise<void> {
    await this.outbox.ready.catch(() => undefined);
    if (this.outbox.size === 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.drained.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.drained.add(done);
    });
  }

  stats(): KafkaSinkStats {
    return { ...this.outbox.stats(), connected: this.connected, ...this.counters };
  }

  /** Tries to deliver what is queued (bounded by the flush timeout), then stops; the rest stays in the outbox for next time. */
  async close(timeoutMs = this.flushTimeoutMs): Promise<void> {
    if (this.closed) return;
    await this.flush(timeoutMs);
    this.closed = true;
    this.wakeIdle?.();
    this.wakeSleeping?.();
    // A send or connect in progress ends with kafkajs' own short retries; do not wait longer than that.
    await Promise.race([this.loop, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    this.unsubscribe();
    await this.producer?.disconnect().catch(() => undefined);
    await this.outbox.close();
  }

  private async run(): Promise<void> {
    try {
      await this.outbox.ready;
    } catch (error) {
      logMetric('EventOutboxUnreadable', 1, { dir: this.outbox.dir, error: (error as Error).message }, { level: 'error', msg: 'ALARM event outbox cannot be opened: events cannot be sent' });
      return;
    }
    let failures = 0;
    while (!this.closed) {
      const batch = this.outbox.peek(this.batchEvents);
      if (batch.length === 0) {
        for (const done of [...this.drained]) done();
        await new Promise<void>((resolve) => (this.wakeIdle = resolve));
        this.wakeIdle = undefined;
        continue;
      }
      try {
        const producer = await this.connect();
        await producer.send({
          topic: this.topic,
          acks: -1,
          compression: CompressionTypes.GZIP,
          messages: batch.map(({ event, json }) => ({
            key: event.subject,
            value: json,
            timestamp: String(Date.parse(event.time)),
            headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE },
          })),
        });
        await this.outbox.acknowledge(batch.length);
        this.counters.sent += batch.length;
        for (const waiter of [...this.deliveries]) if (waiter.position <= this.outbox.acknowledgedPosition) waiter.resolve();
        if (failures > 0) logMetric('EventBrokerReconnected', 1, { topic: this.topic, queued: this.outbox.size }, { msg: 'kafka: delivering again, draining the outbox' });
        failures = 0;
      } catch (error) {
        this.counters.failedSends++;
        failures++;
        for (const waiter of [...this.deliveries]) waiter.reject(new UndeliveredEventsError((error as Error).message));
        await this.disconnect();
        const delay = Math.min(this.backoff.max, this.backoff.initial * 2 ** Math.min(failures - 1, 20));
        const jittered = delay / 2 + Math.random() * (delay / 2);
        if (failures === 1 || failures % 10 === 0) {
          logMetric('EventSendFailed', 1, { topic: this.topic, queued: this.outbox.size, attempt: failures, retryInMs: Math.round(jittered), error: (error as Error).message }, { level: 'warn', msg: 'kafka: send failed, events stay in the outbox' });
        }
        await this.sleep(jittered);
      }
    }
  }

  private async connect(): Promise<Producer> {
    if (this.producer && this.connected) return this.producer;
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      // Java's murmur2 partitioner: a key lands in the same partition as from any Java client.
      createPartitioner: Partitioners.DefaultPartitioner,
      // A few quick retries inside kafkajs for leader moves; longer outages are the outbox's job,
      // with our own backoff, so close() is never stuck behind an endless retry loop.
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    await this.producer.connect();
    this.connected = true;
    return this.producer;
  }

  private async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.connected = false;
    await producer?.disconnect().catch(() => undefined);
  }

  /** Sleeps, but wakes at once when the sink is closing. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wakeSleeping = undefined;
        resolve();
      }, ms);
      this.wakeSleeping = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Kafka through the on-disk outbox: the event sink when KAFKA_BROKERS is set (`core/compose.ts` loads it on first use). */
export function kafkaEventSink(kafka: NonNullable<Config['events']['kafka']>, config: Readonly<Config>): KafkaEventSink {
  return new KafkaEventSink({
    kafka: kafkaClient(kafka, config.region),
    topic: kafka.topic,
    outbox: new DiskOutbox({ dir: config.events.outboxDir, maxBytes: config.events.outboxMaxBytes }),
  });
}

/**
 * Delivery is at least once: a producer retry or an outbox replay after a crash can deliver an
 * event twice. Consumers call their handler through an {@link IdempotentConsumer}, which drops
 * every event whose `id` it has already handled (the lake writer and the tests use it).
 *
 * The memory of ids is bounded (oldest forgotten first): copies arrive close together (the same
 * batch re-sent, the outbox's tail replayed), so a window of recent ids catches them without
 * growing forever. Queries over the lake also dedupe by id, for copies further apart.
 */
import type { ShutterEvent } from '../ports/event-sink.js';
import { parseEvent } from './build-event.js';

/** 100k ids (~10 MB): far more than any replay window (one outbox segment is ~16k events). */
const DEFAULT_CAPACITY = 100_000;

export class IdempotentConsumer {
  private readonly seen = new Set<string>();
  private readonly capacity: number;
  readonly counts = { handled: 0, duplicates: 0 };

  constructor(
    private readonly handler: (event: ShutterEvent) => Promise<void> | void,
    options: { capacity?: number } = {},
  ) {
    this.capacity = options.capacity ?? DEFAULT_CAPACITY;
  }

  /** Handles the event unless its id was handled before; true when it was handled now. */
  async handle(event: ShutterEvent): Promise<boolean> {
    if (this.seen.has(event.id)) {
      this.counts.duplicates++;
      return false;
    }
    await this.handler(event);
    // Remembered only once handled: if the handler throws, a redelivery is handled again.
    this.seen.add(event.id);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.values().next().value!);
    this.counts.handled++;
    return true;
  }

  /** Parses and validates a Kafka message's value (structured-mode CloudEvent JSON), then handles it. */
  async handleMessage(value: Buffer | string | null): Promise<boolean> {
    if (value === null) return false;
    return this.handle(parseEvent(JSON.parse(value.toString())));
  }
}

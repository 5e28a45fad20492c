/**
 * Delivery is at least once: a producer retry or an outbox replay after a crash can deliver an
 * event twice. Consumers call their handler through an {@link IdempotentConsumer}, which drops
 * every event whose `id` it has already handled (the lake writer and the tests use it).
 *
 * The memory of ids is bounded (oldest forgotten first): copies arrive close together (the same
 * batch re-sent, the outbox's tail replayed), so a window of recent ids catches them without
 * growing forever. The lake's `events_once` view drops copies further apart.
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
    this.remember(event.id);
    this.counts.handled++;
    return true;
  }

  /**
   * Handles a batch in one call of `handler` (one write for many events): copies of events
   * handled before, and copies within the batch, are left out. The ids are remembered only once
   * `handler` succeeded, so a failed batch is handled again in full when it is redelivered.
   */
  async handleBatch(events: readonly ShutterEvent[], handler: (fresh: ShutterEvent[]) => Promise<void> | void): Promise<ShutterEvent[]> {
    const ids = new Set<string>();
    const fresh = events.filter((event) => {
      if (this.seen.has(event.id) || ids.has(event.id)) return false;
      ids.add(event.id);
      return true;
    });
    this.counts.duplicates += events.length - fresh.length;
    if (fresh.length) await handler(fresh);
    for (const id of ids) this.remember(id);
    this.counts.handled += fresh.length;
    return fresh;
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.values().next().value!);
  }

  /** Parses and validates a Kafka message's value (structured-mode CloudEvent JSON), then handles it. */
  async handleMessage(value: Buffer | string | null): Promise<boolean> {
    if (value === null) return false;
    return this.handle(parseEvent(JSON.parse(value.toString())));
  }
}

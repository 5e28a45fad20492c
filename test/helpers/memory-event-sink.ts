/** An EventSink that keeps events in memory, for tests; can be told to fail the next publishes. */
import { TransientError } from '../../core/errors.js';
import type { EventSink, ShutterEvent } from '../../core/ports/event-sink.js';

export class MemoryEventSink implements EventSink {
  readonly events: ShutterEvent[] = [];
  /** Publishes that fail with a TransientError before the sink works again. */
  failNext = 0;

  async publish(events: readonly ShutterEvent[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new TransientError('Events::Unavailable', 'The event sink is unavailable (test).');
    }
    this.events.push(...events);
  }

  ofType(type: ShutterEvent['type']): ShutterEvent[] {
    return this.events.filter((event) => event.type === type);
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

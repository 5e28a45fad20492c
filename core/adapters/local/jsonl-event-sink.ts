/**
 * The minimal local event sink: appends each event as one JSON line to
 * `<root>/date=YYYY-MM-DD/events.jsonl` (partitioned by the event's date, as the lake is).
 * Appends are serialised so lines never interleave; `publish` resolves once the lines are written.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { EventSink, ShutterEvent } from '../../ports/event-sink.js';

export class JsonlEventSink implements EventSink {
  private tail: Promise<void> = Promise.resolve();

  constructor(readonly root: string) {}

  publish(events: readonly ShutterEvent[]): Promise<void> {
    const byDate = new Map<string, string>();
    for (const event of events) {
      const date = event.time.slice(0, 10);
      byDate.set(date, (byDate.get(date) ?? '') + `${JSON.stringify(event)}\n`);
    }
    const write = this.tail.then(async () => {
      for (const [date, lines] of byDate) {
        const dir = path.join(this.root, `date=${date}`);
        await mkdir(dir, { recursive: true });
        await appendFile(path.join(dir, 'events.jsonl'), lines);
      }
    });
    this.tail = write.catch(() => undefined);
    return write;
  }

  flush(): Promise<void> {
    return this.tail;
  }

  close(): Promise<void> {
    return this.tail;
  }
}

/**
 * What every EventSink that writes its own files or objects shares: `publish` validates the
 * events and resolves once they are written, as one group commit with every publish waiting at
 * that moment (core/group-commit.ts); `flush` waits for the commit in progress; `close` flushes,
 * then releases what the sink holds. Subclasses say only how a group is written: JSON-lines files
 * on disk (local/jsonl-event-sink.ts) or objects in the lake (lake-event-sink.ts).
 */
import { validEvent } from '../events/build-event.js';
import { GroupCommit } from '../group-commit.js';
import type { EventSink, ShutterEvent } from '../ports/event-sink.js';

export abstract class GroupCommitSink implements EventSink {
  private readonly writer = new GroupCommit<ShutterEvent>((events) => (events.length ? this.write(events) : Promise.resolve()));
  private closed = false;

  /** `name` names the sink in the error a publish after close gets. */
  constructor(private readonly name: string) {}

  async publish(events: readonly ShutterEvent[]): Promise<void> {
    if (this.closed) throw new Error(`${this.name} is closed`);
    if (events.length === 0) return;
    await this.writer.submit(events.map((event) => validEvent(event)));
  }

  async flush(): Promise<void> {
    // Waits for the commit in progress, if any: everything published before is then written.
    await this.writer.submit([]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.release();
  }

  /** Writes one group (never empty) durably; a rejection rejects every publish in it. */
  protected abstract write(events: ShutterEvent[]): Promise<void>;

  /** Releases files or handles after the last write. */
  protected async release(): Promise<void> {}
}

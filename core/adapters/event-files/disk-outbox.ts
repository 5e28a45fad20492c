/**
 * The outbox in front of Kafka: every event is appended here (fsync'd) before anyone tries to
 * send it, and stays until the broker acknowledged it. A broker outage or a process crash loses
 * nothing: after a restart, whatever was not acknowledged is read back and sent again (at least
 * once; consumers drop copies by `id`).
 *
 * Layout: numbered JSON-lines segments (`000000000001.jsonl`, …) and `cursor.json`, the position
 * after the last acknowledged event (written to a temporary file and renamed, so it is always
 * whole). Segments wholly before the cursor are deleted. A torn last line (a crash in the middle
 * of a write) was never acknowledged to the producer, so it is cut off on open.
 *
 * The outbox is bounded: past `maxBytes` of undelivered events, `append` is refused with
 * {@link OutboxFullError} (a TransientError, so a workflow task retries later) and an alarm is
 * logged as the metric `EventOutboxFull`. When the disk itself is full, `append` is refused with
 * `Events::DiskFull` (also a TransientError) and leaves nothing of the refused events behind.
 *
 * `/metrics` shows the events waiting (`shutter_event_outbox_depth`, summed over the process's
 * open outboxes), updated when events are read back, appended and acknowledged.
 */
import { mkdir, open, readFile, readdir, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { TransientError } from '../../errors.js';
import { GroupCommit } from '../../group-commit.js';
import { DEFAULTS } from '../../limits.js';
import { logMetric } from '../../observability/metric-log.js';
import { eventOutboxDepth } from '../../observability/metrics.js';
import type { ShutterEvent } from '../../ports/event-sink.js';
import { appendWhole, diskFullOr, leftTorn } from './append-whole.js';
import { syncFolder } from './sync-folder.js';

/** The outbox holds `maxBytes` of undelivered events and refuses more until the broker drains it. */
export class OutboxFullError extends TransientError {
  constructor(queuedBytes: number, maxBytes: number) {
    super('Events::OutboxFull', `The event outbox is full (${queuedBytes} of ${maxBytes} bytes undelivered); the broker is unreachable.`, 503);
  }
}

/** An event waiting in the outbox, with where its line ends (for the cursor). */
export interface OutboxEntry {
  event: ShutterEvent;
  /** The event as JSON, exactly as stored (senders reuse it instead of serializing again). */
  json: string;
  bytes: number;
  segment: number;
  end: number;
}

export interface OutboxStats {
  /** Events appended and not yet acknowledged. */
  queued: number;
  queuedBytes: number;
  appended: number;
  acknowledged: number;
  /** Appends refused because the outbox was full (the alarm's counter). */
  refused: number;
}

export interface DiskOutboxOptions {
  dir: string;
  maxBytes?: number;
  segmentBytes?: number;
}

/** An event on its way to disk; `position` is set once it is written. */
interface PendingLine {
  event: ShutterEvent;
  line: string;
  position?: number;
}

interface Cursor {
  segment: number;
  offset: number;
}

const SEGMENT = /^(\d{12})\.jsonl$/;

/** The outboxes open in this process, whose waiting events the depth gauge adds up. */
const openOutboxes = new Set<DiskOutbox>();
function reportDepth(): void {
  let depth = 0;
  for (const outbox of openOutboxes) depth += outbox.size;
  eventOutboxDepth.set(depth);
}
const segmentName = (number: number) => `${String(number).padStart(12, '0')}.jsonl`;

export class DiskOutbox {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private entries: OutboxEntry[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** Bytes accepted by `append` and not yet on disk, so concurrent appends cannot overshoot the bound. */
  private reservedBytes = 0;
  private current!: { number: number; handle: FileHandle; size: number };
  private pendingCursor: Cursor | undefined;
  private cursorWrites: Promise<void> | undefined;
  /** The oldest segment still on disk. */
  private oldestSegment = 0;
  /** The current segment ends in bytes of a failed append that could not be cut off: rotate before appending. */
  private torn = false;
  private readonly writer = new GroupCommit<PendingLine>((items) => this.write(items));
  /** Events ever held by this outbox object (read back, then appended): an event's position is its number in that order. */
  private positions = 0;
  private readonly counters = { appended: 0, acknowledged: 0, refused: 0 };
  private readonly listeners = new Set<() => void>();
  /** Settles once the outbox has read back what an earlier process left; `append` waits for it. */
  readonly ready: Promise<void>;

  /** Opens (or creates) the outbox in `dir`; recovery runs in the background (see {@link ready}). */
  constructor(options: DiskOutboxOptions) {
    this.dir = path.resolve(options.dir);
    this.maxBytes = options.maxBytes ?? DEFAULTS.outboxMaxBytes;
    this.segmentBytes = options.segmentBytes ?? DEFAULTS.outboxSegmentBytes;
    this.ready = this.recover().then(() => {
      openOutboxes.add(this);
      reportDepth();
    });
    this.ready.catch(() => undefined); // reported by whoever awaits it
  }

  /** Opens the outbox and waits until every event not yet acknowledged is read back. */
  static async open(options: DiskOutboxOptions): Promise<DiskOutbox> {
    const outbox = new DiskOutbox(options);
    await outbox.ready;
    return outbox;
  }

  /** Undelivered events, oldest first. */
  get size(): number {
    return this.entries.length - this.head;
  }

  stats(): OutboxStats {
    return { queued: this.size, queuedBytes: this.queuedBytes, ...this.counters };
  }

  /** Calls `listener` whenever events are appended (the sender's wake-up). */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Durably appends events; resolves once they are fsync'd, with the position of the last one
   * (delivered once {@link acknowledgedPosition} reaches it). Refuses them all when the outbox
   * would pass its bound.
   */
  async append(events: readonly ShutterEvent[]): Promise<number> {
    await this.ready;
    if (events.length === 0) return this.acknowledgedPosition;
    const items: PendingLine[] = events.map((event) => ({ event, line: JSON.stringify(event) + '\n' }));
    const bytes = items.reduce((sum, item) => sum + Buffer.byteLength(item.line), 0);
    if (this.queuedBytes + this.reservedBytes + bytes > this.maxBytes) {
      this.counters.refused += events.length;
      logMetric('EventOutboxFull', events.length, { dir: this.dir, queuedBytes: this.queuedBytes, maxBytes: this.maxBytes }, {
        level: 'error',
        msg: 'ALARM event outbox is full: events refused until the broker is reachable again',
      });
      throw new OutboxFullError(this.queuedBytes + this.reservedBytes, this.maxBytes);
    }
    this.reservedBytes += bytes;
    try {
      await this.writer.submit(items);
    } finally {
      this.reservedBytes -= bytes;
    }
    for (const listener of this.listeners) listener();
    return items.at(-1)!.position!;
  }

  /** The position of the last acknowledged event: every event at or before it was delivered. */
  get acknowledgedPosition(): number {
    return this.counters.acknowledged;
  }

  /** The oldest `max` undelivered events (not removed: call {@link acknowledge} once they are delivered). */
  peek(max: number): OutboxEntry[] {
    return this.entries.slice(this.head, this.head + max);
  }

  /** Marks the oldest `count` events delivered, persists the cursor, and deletes spent segments. */
  async acknowledge(count: number): Promise<void> {
    if (count <= 0) return;
    const last = this.entries[this.head + count - 1];
    if (!last) throw new Error(`cannot acknowledge ${count} of ${this.size} events`);
    for (let index = this.head; index < this.head + count; index++) this.queuedBytes -= this.entries[index]!.bytes;
    this.head += count;
    this.counters.acknowledged += count;
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    reportDepth();
    this.saveCursor({ segment: last.segment, offset: last.end });
    // Segments wholly acknowledged are deleted (at most one readdir per segment, not per batch).
    if (last.segment > this.oldestSegment) {
      for (const name of await readdir(this.dir)) {
        const match = SEGMENT.exec(name);
        if (match && Number(match[1]) < last.segment) await rm(path.join(this.dir, name), { force: true });
      }
      this.oldestSegment = last.segment;
    }
  }

  async close(): Promise<void> {
    await this.ready;
    await this.writer.submit([]);
    await this.cursorWrites;
    await this.current.handle.close();
    openOutboxes.delete(this);
    reportDepth();
  }

  private async write(items: PendingLine[]): Promise<void> {
    if (items.length === 0) return;
    const buffer = Buffer.from(items.map((item) => item.line).join(''));
    if (this.torn || (this.current.size > 0 && this.current.size + buffer.length > this.segmentBytes)) {
      await this.rotate().catch((error: unknown) => {
        throw diskFullOr(error, this.dir);
      });
      this.torn = false;
    }
    try {
      await appendWhole(this.current.handle, buffer, this.current.size, path.join(this.dir, segmentName(this.current.number)));
    } catch (error) {
      // A torn tail that could not be cut off is cut on the next open; appends go to a new segment.
      this.torn = leftTorn(error);
      throw error;
    }
    let end = this.current.size;
    for (const item of items) {
      const bytes = Buffer.byteLength(item.line);
      end += bytes;
      this.entries.push({ event: item.event, json: item.line.slice(0, -1), bytes, segment: this.current.number, end });
      this.queuedBytes += bytes;
      item.position = ++this.positions;
    }
    this.current.size = end;
    this.counters.appended += items.length;
    reportDepth();
  }

  private async rotate(): Promise<void> {
    const number = this.current.number + 1;
    // Opened before the old one is closed: when the disk is full the outbox keeps a segment to append to.
    const handle = await open(path.join(this.dir, segmentName(number)), 'a');
    await this.current.handle.close().catch(() => undefined);
    this.current = { number, handle, size: 0 };
    await syncFolder(this.dir);
  }

  private async recover(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const cursor = await this.loadCursor();
    const segments = (await readdir(this.dir))
      .map((name) => SEGMENT.exec(name))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => Number(match[1]))
      .sort((a, b) => a - b);
    for (const number of segments) {
      if (number < cursor.segment) {
        await rm(path.join(this.dir, segmentName(number)), { force: true });
        continue;
      }
      const file = path.join(this.dir, segmentName(number));
      let content = await readFile(file);
      const complete = content.lastIndexOf(0x0a) + 1;
      if (complete < content.length) {
        // A torn line from a crash mid-write: its producer never saw it acknowledged.
        const handle = await open(file, 'r+');
        await handle.truncate(complete);
        await handle.sync();
        await handle.close();
        content = content.subarray(0, complete);
      }
      let start = number === cursor.segment ? cursor.offset : 0;
      while (start < content.length) {
        const newline = content.indexOf(0x0a, start);
        const end = newline + 1;
        try {
          const json = content.subarray(start, newline).toString('utf8');
          this.entries.push({ event: JSON.parse(json) as ShutterEvent, json, bytes: end - start, segment: number, end });
          this.queuedBytes += end - start;
          this.positions++;
        } catch {
          console.error(JSON.stringify({ level: 'error', msg: 'outbox: skipping an unreadable line', file, offset: start }));
        }
        start = end;
      }
    }
    const last = segments.at(-1) ?? Math.max(cursor.segment, 1);
    this.oldestSegment = segments.find((number) => number >= cursor.segment) ?? last;
    const handle = await open(path.join(this.dir, segmentName(last)), 'a');
    this.current = { number: last, handle, size: (await handle.stat()).size };
    await syncFolder(this.dir);
  }

  private async loadCursor(): Promise<Cursor> {
    try {
      const cursor = JSON.parse(await readFile(path.join(this.dir, 'cursor.json'), 'utf8')) as Cursor;
      if (Number.isInteger(cursor.segment) && Number.isInteger(cursor.offset)) return cursor;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return { segment: 0, offset: 0 };
  }

  /**
   * Saves the cursor in the background, the latest one only, one write at a time: written whole
   * (temporary file, then rename) but not fsync'd and not waited for by the sender. After a
   * crash or power loss the cursor may be a little behind, which only re-sends events the broker
   * already has (at least once; consumers drop the copies).
   */
  private saveCursor(cursor: Cursor): void {
    this.pendingCursor = cursor;
    this.cursorWrites ??= (async () => {
      while (this.pendingCursor) {
        const next = this.pendingCursor;
        this.pendingCursor = undefined;
        const temporary = path.join(this.dir, 'cursor.json.tmp');
        try {
          await writeFile(temporary, JSON.stringify(next));
          await rename(temporary, path.join(this.dir, 'cursor.json'));
        } catch (error) {
          console.error(JSON.stringify({ level: 'error', msg: 'outbox: cannot save the cursor (events may be sent again)', dir: this.dir, error: (error as Error).message }));
        }
      }
      this.cursorWrites = undefined;
    })();
  }
}

/**
 * The local EventSink: append-only JSON lines, one event per line, under
 * `<dir>/dt=YYYY-MM-DD/` (the event's UTC date, the same Hive-style partitions as the lake in
 * S3, so DuckDB and Athena read one layout). Each process appends to its own file, named after
 * when it was opened, a sequence number and the pid, so concurrent writers never interleave; a file is rotated once it
 * passes `segmentBytes`. `publish` resolves only after the lines are fsync'd (group commit: one
 * write and one fsync serve every caller waiting at that moment), all of them: when the disk is
 * full it rejects with `Events::DiskFull` and leaves no part of those lines behind (see
 * {@link appendWhole}). Each time a file is opened, the log is pruned to its retention (age and
 * size, {@link pruneEventLog}) in the background.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { partitionOf } from '../../events/lake-objects.js';
import { DEFAULTS } from '../../limits.js';
import type { ShutterEvent } from '../../ports/event-sink.js';
import { GroupCommitSink } from '../group-commit-sink.js';
import { appendWhole, diskFullOr, leftTorn } from '../event-files/append-whole.js';
import { syncFolder } from '../event-files/sync-folder.js';
import { pruneEventLog, type EventLogRetention } from './prune-event-log.js';
import { logger } from '../../observability/logger.js';

interface OpenFile {
  handle: FileHandle;
  path: string;
  size: number;
}

export interface JsonlEventSinkOptions {
  /** The events folder, `$SHUTTER_DATA_DIR/events`. */
  dir: string;
  /** Rotate a file once it reaches this size. */
  segmentBytes?: number;
  /** How long and how much of the log to keep; default: keep everything. */
  retention?: EventLogRetention;
}

export { partitionOf };

export class JsonlEventSink extends GroupCommitSink {
  readonly dir: string;
  private readonly segmentBytes: number;
  /** One open file per partition this process writes to (in practice today's, and yesterday's around midnight). */
  private readonly files = new Map<string, OpenFile>();
  private sequence = 0;
  private readonly retention: EventLogRetention | undefined;
  private pruning: Promise<void> | undefined;

  constructor(options: JsonlEventSinkOptions) {
    super('JsonlEventSink');
    this.dir = path.resolve(options.dir);
    this.segmentBytes = options.segmentBytes ?? DEFAULTS.eventSegmentBytes;
    this.retention = options.retention;
  }

  /** Prunes the log to its retention now, sparing the files this sink writes to; resolves when done. */
  async prune(): Promise<void> {
    if (!this.retention) return;
    const keep = new Set([...this.files.values()].map((file) => file.path));
    const result = await pruneEventLog(this.dir, this.retention, { keep });
    if (result.removedFiles) logger.info({ dir: this.dir, ...result }, 'event log pruned');
  }

  protected override async release(): Promise<void> {
    await this.pruning;
    for (const file of this.files.values()) await file.handle.close();
    this.files.clear();
  }

  protected async write(events: ShutterEvent[]): Promise<void> {
    const byPartition = new Map<string, string[]>();
    for (const event of events) {
      const partition = partitionOf(event);
      const lines = byPartition.get(partition) ?? [];
      lines.push(JSON.stringify(event));
      byPartition.set(partition, lines);
    }
    for (const [partition, lines] of byPartition) {
      const buffer = Buffer.from(lines.join('\n') + '\n');
      const file = await this.fileFor(partition, buffer.length).catch((error: unknown) => {
        throw diskFullOr(error, path.join(this.dir, partition));
      });
      try {
        await appendWhole(file.handle, buffer, file.size, file.path);
      } catch (error) {
        // Bytes that could not be cut off stay as a torn last line, which readers skip; never append after it.
        if (leftTorn(error)) {
          this.files.delete(partition);
          await file.handle.close().catch(() => undefined);
        }
        throw error;
      }
      file.size += buffer.length;
    }
  }

  private async fileFor(partition: string, bytes: number): Promise<OpenFile> {
    const current = this.files.get(partition);
    if (current && (current.size === 0 || current.size + bytes <= this.segmentBytes)) return current;
    if (current) await current.handle.close();
    // A partition we have not touched for a while is done (yesterday's): close it.
    if (!current && this.files.size >= 2) {
      const [oldest] = [...this.files.keys()].sort();
      await this.files.get(oldest!)!.handle.close();
      this.files.delete(oldest!);
    }
    const folder = path.join(this.dir, partition);
    await mkdir(folder, { recursive: true });
    // Sorting names sorts one process's files in write order: start time, then sequence.
    const stamp = new Date().toISOString().replace(/[-:.]/g, '');
    const name = `events-${stamp}-${String(this.sequence++).padStart(4, '0')}-${process.pid}-${randomBytes(3).toString('hex')}.jsonl`;
    const file: OpenFile = { handle: await open(path.join(folder, name), 'a'), path: path.join(folder, name), size: 0 };
    await syncFolder(folder); // the new file's name is durable too, not only its bytes
    this.files.set(partition, file);
    // A new file means the log grew by a segment or a day passed: the moments to prune, one at a time.
    if (this.retention && !this.pruning) {
      this.pruning = this.prune()
        .catch((error: unknown) => logger.warn({ dir: this.dir, error: String(error) }, 'event log not pruned'))
        .finally(() => (this.pruning = undefined));
    }
    return file;
  }
}

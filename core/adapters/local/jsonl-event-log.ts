/**
 * Reads the local events folder that JsonlEventSink writes, oldest partition and file first:
 * `shutter events tail` prints it, and can follow new lines as they are appended. Only whole
 * lines are returned: a line still being written is picked up on the next poll.
 *
 * "From the end" is a position taken when the caller asks for it ({@link eventLogEnd}), not when
 * a lazy generator first gets to run: a line appended in between is new, not lost. The position
 * stops at the last whole line of each file, so a line half-written at that moment is read once
 * it is complete, never as a tail fragment.
 */
import { open, readdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** How far each event file had been read: the start of a {@link readEventLog}. */
export type EventLogPosition = ReadonlyMap<string, number>;

export interface ReadEventLogOptions {
  /** Keep polling for new lines until the signal aborts. */
  follow?: boolean;
  /** Start here (see {@link eventLogEnd}); files it does not name are read from their start. Default: the beginning. */
  from?: EventLogPosition;
  pollMs?: number;
  signal?: AbortSignal;
}

/** Every JSON line under `dir` (`dt=…/*.jsonl`), as text, in write order per file. */
export async function* readEventLog(dir: string, options: ReadEventLogOptions = {}): AsyncGenerator<string> {
  const offsets = new Map(options.from ?? []);
  for (;;) {
    for (const file of await listFiles(dir)) {
      let offset = offsets.get(file) ?? 0;
      const handle = await open(file, 'r').catch(() => undefined);
      if (!handle) continue;
      try {
        const { size } = await handle.stat();
        if (size <= offset) continue;
        const buffer = Buffer.alloc(size - offset);
        await handle.read(buffer, 0, buffer.length, offset);
        const complete = buffer.lastIndexOf(0x0a) + 1;
        for (const line of buffer.subarray(0, complete).toString('utf8').split('\n')) if (line) yield line;
        offset += complete;
        offsets.set(file, offset);
      } finally {
        await handle.close();
      }
    }
    if (!options.follow || options.signal?.aborted) return;
    try {
      await sleep(options.pollMs ?? 500, undefined, { signal: options.signal });
    } catch {
      return; // aborted
    }
  }
}

/**
 * The end of the event log now, for `readEventLog(dir, { from })`: after the last whole line of
 * every file, so lines completed from this moment on are read, including one half-written now.
 *
 * @example
 * for await (const line of readEventLog(dir, { follow: true, from: await eventLogEnd(dir), signal })) print(line);
 */
export async function eventLogEnd(dir: string): Promise<EventLogPosition> {
  const position = new Map<string, number>();
  for (const file of await listFiles(dir)) {
    const handle = await open(file, 'r').catch(() => undefined);
    if (!handle) continue;
    try {
      position.set(file, await endOfLastLine(handle));
    } finally {
      await handle.close();
    }
  }
  return position;
}

/** The offset just after the file's last newline (0 when it has none), read backwards in small chunks. */
async function endOfLastLine(handle: FileHandle): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  let end = (await handle.stat()).size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const newline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (newline !== -1) return start + newline + 1;
    end = start;
  }
  return 0;
}

async function listFiles(dir: string): Promise<string[]> {
  const partitions = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.startsWith('dt=')).sort();
  const files: string[] = [];
  for (const partition of partitions) {
    for (const name of (await readdir(path.join(dir, partition)).catch(() => [] as string[])).filter((file) => file.endsWith('.jsonl')).sort()) {
      files.push(path.join(dir, partition, name));
    }
  }
  return files;
}

/**
 * Reads the local events folder that JsonlEventSink writes, oldest partition and file first:
 * `shutter events tail` prints it, and can follow new lines as they are appended. Only whole
 * lines are returned: a line still being written is picked up on the next poll.
 */
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReadEventLogOptions {
  /** Keep polling for new lines until the signal aborts. */
  follow?: boolean;
  /** Start at the end (only new lines). Default: from the beginning. */
  fromEnd?: boolean;
  pollMs?: number;
  signal?: AbortSignal;
}

/** Every JSON line under `dir` (`dt=…/*.jsonl`), as text, in write order per file. */
export async function* readEventLog(dir: string, options: ReadEventLogOptions = {}): AsyncGenerator<string> {
  const offsets = new Map<string, number>();
  let first = true;
  for (;;) {
    for (const file of await listFiles(dir)) {
      let offset = offsets.get(file) ?? 0;
      const handle = await open(file, 'r').catch(() => undefined);
      if (!handle) continue;
      try {
        const { size } = await handle.stat();
        if (first && options.fromEnd) {
          offsets.set(file, size);
          continue;
        }
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
    first = false;
    if (!options.follow || options.signal?.aborted) return;
    try {
      await sleep(options.pollMs ?? 500, undefined, { signal: options.signal });
    } catch {
      return; // aborted
    }
  }
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

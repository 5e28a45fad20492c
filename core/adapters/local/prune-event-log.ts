/**
 * Keeps the local event log (`<dir>/dt=YYYY-MM-DD/*.jsonl`) within its age and size budget:
 * partitions older than `maxAgeDays` go first, then the oldest files until the whole is under
 * `maxBytes`. Files the caller still writes to are never removed. The lake in S3 (AWS) has its
 * own lifecycle rules; this is the one-machine equivalent, so a flood of requests cannot fill
 * the disk with access records.
 */
import { readdir, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface EventLogRetention {
  /** Partitions older than this many days are removed; 0 keeps every day. */
  maxAgeDays: number;
  /** The log's total size is kept under this; 0 for no limit. */
  maxBytes: number;
}

export interface PruneResult {
  removedFiles: number;
  removedBytes: number;
  keptBytes: number;
}

const PARTITION = /^dt=(\d{4}-\d{2}-\d{2})$/;

export async function pruneEventLog(
  dir: string,
  retention: EventLogRetention,
  options: { keep?: ReadonlySet<string>; now?: Date } = {},
): Promise<PruneResult> {
  const keep = options.keep ?? new Set<string>();
  const now = options.now ?? new Date();
  const result: PruneResult = { removedFiles: 0, removedBytes: 0, keptBytes: 0 };
  const partitions = (await readdir(dir).catch(() => [] as string[])).filter((name) => PARTITION.test(name)).sort();
  const oldestKeptDay = retention.maxAgeDays > 0 ? new Date(now.getTime() - retention.maxAgeDays * 86_400_000).toISOString().slice(0, 10) : '';
  const files: Array<{ path: string; size: number }> = [];
  for (const partition of partitions) {
    const folder = path.join(dir, partition);
    const names = (await readdir(folder).catch(() => [] as string[])).filter((name) => name.endsWith('.jsonl')).sort();
    const expired = PARTITION.exec(partition)![1]! < oldestKeptDay;
    for (const name of names) {
      const file = path.join(folder, name);
      const size = (await stat(file).catch(() => undefined))?.size;
      if (size === undefined) continue;
      if (expired && !keep.has(file)) await remove(file, size, result);
      else files.push({ path: file, size });
    }
    if (expired) await rmdir(folder).catch(() => undefined); // only once empty
  }
  // Oldest first: partitions sort by date, and one process's files by their opening time.
  let total = files.reduce((sum, file) => sum + file.size, 0);
  for (const file of files) {
    if (retention.maxBytes <= 0 || total <= retention.maxBytes) break;
    if (keep.has(file.path)) continue;
    await remove(file.path, file.size, result);
    total -= file.size;
  }
  result.keptBytes = total;
  return result;
}

async function remove(file: string, size: number, result: PruneResult): Promise<void> {
  try {
    await unlink(file);
    result.removedFiles++;
    result.removedBytes += size;
  } catch {
    // Gone already (another process pruned it): nothing to do.
  }
}

/**
 * The local event log's retention: partitions past their age go, then the oldest files until the
 * log is under its size; files still being written are never removed. The sink prunes on its own
 * whenever it opens a file.
 */
import { mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonlEventSink } from '../../../../core/adapters/local/jsonl-event-sink.js';
import { pruneEventLog } from '../../../../core/adapters/local/prune-event-log.js';
import { renditionEvent } from '../../../helpers/events.js';

async function logWith(files: Record<string, number>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shutter-prune-'));
  for (const [file, bytes] of Object.entries(files)) {
    await mkdir(path.join(dir, path.dirname(file)), { recursive: true });
    await writeFile(path.join(dir, file), Buffer.alloc(bytes, 0x61));
  }
  return dir;
}

async function remaining(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const partition of (await readdir(dir)).sort()) {
    for (const file of (await readdir(path.join(dir, partition))).sort()) names.push(`${partition}/${file}`);
  }
  return names;
}

const now = new Date('2026-06-30T12:00:00Z');

test('partitions older than the age limit are removed, folders included', async () => {
  const dir = await logWith({ 'dt=2026-03-01/events-a.jsonl': 10, 'dt=2026-03-31/events-b.jsonl': 10, 'dt=2026-04-01/events-c.jsonl': 10, 'dt=2026-06-30/events-d.jsonl': 10 });
  const result = await pruneEventLog(dir, { maxAgeDays: 90, maxBytes: 0 }, { now });
  expect(await remaining(dir)).toEqual(['dt=2026-04-01/events-c.jsonl', 'dt=2026-06-30/events-d.jsonl']);
  expect(result).toEqual({ removedFiles: 2, removedBytes: 20, keptBytes: 20 });
});

test('beyond the size limit the oldest files go first, never one still being written', async () => {
  const dir = await logWith({
    'dt=2026-06-28/events-1.jsonl': 100,
    'dt=2026-06-29/events-1.jsonl': 100,
    'dt=2026-06-29/events-2.jsonl': 100,
    'dt=2026-06-30/events-1.jsonl': 100,
    'other/not-events.txt': 1000,
  });
  const keep = new Set([path.join(dir, 'dt=2026-06-28/events-1.jsonl')]);
  await pruneEventLog(dir, { maxAgeDays: 0, maxBytes: 250 }, { now, keep });
  // 400 bytes: the oldest file is being written, so the next two oldest go (400 → 200 ≤ 250).
  expect(await remaining(dir)).toEqual(['dt=2026-06-28/events-1.jsonl', 'dt=2026-06-30/events-1.jsonl', 'other/not-events.txt']);
});

test('0 and 0 keep everything', async () => {
  const dir = await logWith({ 'dt=2000-01-01/events-1.jsonl': 100 });
  await pruneEventLog(dir, { maxAgeDays: 0, maxBytes: 0 }, { now });
  expect(await remaining(dir)).toEqual(['dt=2000-01-01/events-1.jsonl']);
});

test('the sink keeps its log near its size limit while it writes (segment-sized steps)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'shutter-prune-sink-'));
  const sink = new JsonlEventSink({ dir, segmentBytes: 20_000, retention: { maxAgeDays: 0, maxBytes: 100_000 } });
  for (let batch = 0; batch < 60; batch++) {
    await sink.publish(Array.from({ length: 20 }, (_, i) => renditionEvent(batch * 20 + i, 7, new Date())));
  }
  await sink.close();
  let total = 0;
  for (const file of await remaining(dir)) total += (await stat(path.join(dir, file))).size;
  // ~400 KB were written; the log holds at most the limit plus the segment being written (and one in prune's flight).
  expect(total).toBeLessThanOrEqual(100_000 + 2 * 20_000 + 2_000);
  expect(total).toBeGreaterThan(50_000);
});

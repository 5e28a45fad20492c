/**
 * Disk full under the local event files: the JSON-lines event log (the local EventSink) and the
 * outbox in front of Kafka. The disk is a small tmpfs mounted here (CI runs as root); where
 * mounting is not allowed, ENOSPC is injected at the fs boundary instead, the way a filling disk
 * answers: a write stores part of its buffer, the next one fails. Publishing must fail visibly
 * (`Events::DiskFull`, a TransientError the workflow retries, and an alarm line), keep nothing
 * of what it refused and lose nothing it had accepted; once space is freed the refused events
 * are published again (the workflow's retry) and every event is on disk exactly once.
 */
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, readdir, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DiskOutbox } from '../../core/adapters/event-files/disk-outbox.js';
import { JsonlEventSink } from '../../core/adapters/local/jsonl-event-sink.js';
import type { ShutterEvent } from '../../core/ports/event-sink.js';
import { renditionEvent } from '../helpers/events.js';
import { EVENT_FAULTS, recordRow } from './report-store.js';

const run = promisify(execFile);

interface SmallDisk {
  dir: string;
  method: string;
  /** Frees space, as an operator would. */
  free(): Promise<void>;
  release(): Promise<void>;
}

const TMPFS_KB = 256;
const BALLAST_KB = 96;

/** A folder on a disk that fills after about 160 KB of events. */
async function smallDisk(): Promise<SmallDisk> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shutter-disk-full-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_KB}k,mode=0700`, 'tmpfs', dir]);
    // Ballast holds part of the space; deleting it is the operator freeing space.
    await writeFile(path.join(dir, 'ballast'), Buffer.alloc(BALLAST_KB * 1024));
    return {
      dir,
      method: `tmpfs of ${TMPFS_KB} KiB, real ENOSPC`,
      free: () => rm(path.join(dir, 'ballast')),
      release: async () => {
        await run('umount', [dir]);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch {
    return injectedDisk(dir);
  }
}

/** Without mount rights: every FileHandle write stores at most what is left of a budget, then fails with ENOSPC. */
async function injectedDisk(dir: string): Promise<SmallDisk> {
  const probe = await open(path.join(dir, '.probe'), 'w');
  const prototype = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const original = prototype.write;
  const write = original as (this: FileHandle, ...args: unknown[]) => Promise<{ bytesWritten: number }>;
  let budget = (TMPFS_KB - BALLAST_KB) * 1024;
  prototype.write = async function (this: FileHandle, buffer: Buffer, offset = 0, length = buffer.length - offset, position?: number | null) {
    if (budget <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    const result = await write.call(this, buffer, offset, Math.min(length, budget), position);
    budget -= result.bytesWritten;
    return result;
  } as FileHandle['write'];
  return {
    dir,
    method: `ENOSPC injected at the fs boundary after ${TMPFS_KB - BALLAST_KB} KiB (no mount rights)`,
    free: async () => void (budget = Infinity),
    release: async () => {
      prototype.write = original;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every line of every file under `dir`, parsed; lines that do not parse, and files not ending in a newline, counted. */
async function readBack(dir: string): Promise<{ ids: string[]; unreadable: number; tornFiles: number }> {
  const ids: string[] = [];
  let unreadable = 0;
  let tornFiles = 0;
  const walk = async (folder: string): Promise<void> => {
    for (const entry of (await readdir(folder, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) await walk(file);
      else if (entry.name.endsWith('.jsonl')) {
        const text = await readFile(file, 'utf8');
        if (text.length && !text.endsWith('\n')) tornFiles++;
        for (const line of text.split('\n').filter(Boolean)) {
          try {
            ids.push((JSON.parse(line) as ShutterEvent).id);
          } catch {
            unreadable++;
          }
        }
      }
    }
  };
  await walk(dir);
  return { ids, unreadable, tornFiles };
}

interface Outcome {
  accepted: ShutterEvent[];
  refused: ShutterEvent[][];
  errors: unknown[];
}

/**
 * Publishes waves of concurrent batches (so group commits of several callers fail together)
 * until `refusals` publishes were refused.
 */
async function fillUp(publish: (events: ShutterEvent[]) => Promise<unknown>, refusals = 6): Promise<Outcome> {
  const outcome: Outcome = { accepted: [], refused: [], errors: [] };
  let next = 0;
  while (outcome.refused.length < refusals && next < 50_000) {
    const wave = Array.from({ length: 3 }, () => Array.from({ length: 4 }, () => renditionEvent(next++)));
    const settled = await Promise.allSettled(wave.map((batch) => publish(batch)));
    settled.forEach((result, index) => {
      if (result.status === 'fulfilled') outcome.accepted.push(...wave[index]!);
      else {
        outcome.refused.push(wave[index]!);
        outcome.errors.push(result.reason);
      }
    });
  }
  return outcome;
}

let alarms: jest.SpiedFunction<typeof console.error>;
beforeEach(() => {
  alarms = jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

const alarmLines = () => alarms.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('"EventLogDiskFull":1')).length;

describe.each([
  {
    name: 'local event log (JSON lines)',
    open: async (dir: string) => {
      const sink = new JsonlEventSink({ dir });
      return { publish: (events: ShutterEvent[]) => sink.publish(events), close: () => sink.close(), pending: async () => (await readBack(dir)).ids };
    },
  },
  {
    name: 'Kafka outbox on disk',
    open: async (dir: string) => {
      const outbox = await DiskOutbox.open({ dir });
      return {
        publish: (events: ShutterEvent[]) => outbox.append(events),
        close: () => outbox.close(),
        // What a restarted process would send: the outbox read back from disk.
        pending: async () => {
          const reopened = await DiskOutbox.open({ dir });
          const ids = reopened.peek(Number.MAX_SAFE_INTEGER).map((entry) => entry.event.id);
          await reopened.close();
          return ids;
        },
      };
    },
  },
])('disk full under the $name', ({ name, open: openSink }) => {
  test('publish fails with Events::DiskFull; nothing accepted is lost or torn; after space is freed each event is there once', async () => {
    const disk = await smallDisk();
    try {
      const dir = path.join(disk.dir, 'events');
      const sink = await openSink(dir);
      const full = await fillUp(sink.publish);
      const whileFull = await readBack(dir);

      await disk.free();
      for (const batch of full.refused) await sink.publish(batch); // the Publish task's retry
      const later = Array.from({ length: 20 }, (_, n) => renditionEvent(100_000 + n));
      await sink.publish(later);
      await sink.close();
      const final = await readBack(dir);
      const pending = await sink.pending();

      const published = [...full.accepted, ...full.refused.flat(), ...later].map((event) => event.id);
      const onDisk = new Set(final.ids);
      recordRow(EVENT_FAULTS, `Disk full under the ${name}`, {
        cases: published.length,
        'faults injected': alarmLines(), // failed appends (one may refuse several callers' batches)
        'delivered once': onDisk.size,
        lost: published.filter((id) => !onDisk.has(id)).length,
        duplicated: final.ids.length - onDisk.size,
        counted: 'events by id, read back from the files after space was freed',
        'fails visibly as': [...new Set(full.errors.map((error) => `${(error as Error).name} ${(error as { code?: string }).code}`))].join(', '),
        'publishes refused, then retried': full.errors.length,
        'accepted before space was freed, all on disk': `${whileFull.ids.length} of ${full.accepted.length}`,
        'torn or unreadable lines': whileFull.unreadable + whileFull.tornFiles + final.unreadable + final.tornFiles,
        disk: disk.method,
      }, import.meta.filename);

      expect(full.accepted.length).toBeGreaterThan(100);
      // While full: exactly what was acknowledged, in order, and no fragment of what was refused.
      expect(whileFull).toEqual({ ids: full.accepted.map((event) => event.id), unreadable: 0, tornFiles: 0 });
      expect(final).toEqual({ ids: published, unreadable: 0, tornFiles: 0 });
      expect(pending).toEqual(published);
      for (const error of full.errors) expect(error).toMatchObject({ name: 'TransientError', code: 'Events::DiskFull', status: 503 });
      expect(alarmLines()).toBeGreaterThan(0);
    } finally {
      await disk.release();
    }
  });
});

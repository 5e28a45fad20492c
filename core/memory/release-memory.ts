/**
 * Gives the process's free memory back to the OS, in the two places a burst leaves it:
 *
 * - **V8's heap**: a full garbage collection frees the burst's dead objects and Buffers at once
 *   instead of whenever the next allocation asks for one. The "last resort" flavour (V8's
 *   CollectAllAvailableGarbage, what it runs when memory is critical) also compacts the heap and
 *   unmaps the emptied pages: a regular major GC keeps them committed for later (a 135 MB heap of
 *   dead objects: RSS 185 → 183 MB with a regular GC, → 57 MB with this one, in ~140 ms). Node
 *   exposes `gc()` only with `--expose-gc`; the flag is set at run time and `gc` taken from a fresh
 *   context, which is where V8 installs it; a V8 without the flavour runs a regular major GC.
 * - **glibc's arenas**: `free()` returns memory to the OS only from the top of an arena, so the
 *   pages freed below a block still in use stay resident (fragmentation). `malloc_trim(0)` walks
 *   every arena and returns each whole free page (MADV_DONTNEED). Node cannot call it, so koffi
 *   (an FFI with prebuilt binaries) binds it from libc, once, on first use. glibc only: on musl
 *   or macOS (no such function, or another allocator) it is skipped, and says so.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What one release did: RSS before and after (MB), and which steps ran. */
export interface Released {
  rssBeforeMb: number;
  rssAfterMb: number;
  /** A full garbage collection ran. */
  gc: boolean;
  /** glibc's malloc_trim ran; false where the C library is not glibc (or it could not be bound). */
  trimmed: boolean;
  /** Wall time of the release, ms (the main thread is blocked during the GC and the trim). */
  ms: number;
  /** Of which the trim, ms. */
  trimMs: number;
}

const MB = 1024 * 1024;

type Gc = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
let collect: Gc | undefined;

/** V8's full collection, exposed on first use. */
function fullGc(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as Gc;
  }
  collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/** Whether this process runs on glibc (Node's report names its runtime version only there). */
export function onGlibc(): boolean {
  if (process.platform !== 'linux') return false;
  // Without the network section the report takes ~2 ms instead of ~12 (as detect-libc reads it);
  // Node 22 has the setting, @types/node 22 does not name it yet.
  const report = process.report as typeof process.report & { excludeNetwork?: boolean };
  const excludeNetwork = report.excludeNetwork;
  report.excludeNetwork = true;
  try {
    const header = (report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    return typeof header?.glibcVersionRuntime === 'string';
  } finally {
    report.excludeNetwork = excludeNetwork;
  }
}

export type MallocTrim = (pad: number) => number;

/**
 * libc's `malloc_trim`, bound through koffi; undefined where there is none to call: not glibc, no
 * prebuilt koffi binary for this platform, or no such library (each a platform to skip, not an error).
 */
export async function bindMallocTrim(library = 'libc.so.6', glibc = onGlibc()): Promise<MallocTrim | undefined> {
  if (!glibc) return undefined;
  try {
    const { default: koffi } = await import('koffi');
    return koffi.load(library).func('int malloc_trim(size_t pad)') as MallocTrim;
  } catch {
    return undefined;
  }
}

let trim: Promise<MallocTrim | undefined> | undefined;

export interface ReleaseOptions {
  /** Run a full GC first (default true): the Buffers it frees are what malloc_trim then returns. */
  gc?: boolean;
  /** Call glibc's malloc_trim (default true). */
  trim?: boolean;
}

/** A full GC, then malloc_trim(0) where glibc runs: memory a burst left free goes back to the OS. */
export async function releaseMemory(options: ReleaseOptions = {}): Promise<Released> {
  const trimWith = options.trim === false ? undefined : await (trim ??= bindMallocTrim());
  const rssBeforeMb = process.memoryUsage.rss() / MB;
  const started = performance.now();
  const gc = options.gc !== false;
  if (gc) fullGc();
  const collected = performance.now();
  trimWith?.(0);
  const ended = performance.now();
  return { rssBeforeMb, rssAfterMb: process.memoryUsage.rss() / MB, gc, trimmed: trimWith !== undefined, ms: ended - started, trimMs: ended - collected };
}

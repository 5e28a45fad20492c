/**
 * What holds a process's memory, split two ways and sampled during a burst:
 *
 * - **by mapping** (`/proc/<pid>/smaps`, readable from outside): code and data of files (the Node
 *   binary, libvips and sharp, other shared libraries), glibc's main arena (`[heap]`), glibc's
 *   thread arenas (64 MB reservations, the part touched), thread stacks (an 8 MB mapping behind a
 *   guard page), JIT and wasm code (anonymous and executable), and the rest of anonymous memory
 *   (V8's heap pages, malloc's large blocks, which glibc gives their own mapping, wasm memories).
 * - **by owner** (counters only the process can read: `process.memoryUsage()`, a worker thread's
 *   `getHeapStatistics()`, libvips' tracked allocations from `sharp.cache()`): V8 heaps, their
 *   ArrayBuffers and external memory, libvips' pixel buffers; the anonymous memory none of them
 *   accounts for is glibc's: freed blocks it keeps in its arenas, fragmentation, and stacks.
 *
 * The mapping heuristics (arena, stack) follow glibc's layout on 64-bit Linux; they are labelled
 * as such in the tables. Linux only, like the bench machine.
 */
import { readFileSync } from 'node:fs';

const MB = 1024 * 1024;
/** glibc's HEAP_MAX_SIZE on 64-bit: each thread arena is a reservation of this size, aligned to it. */
const ARENA_BYTES = 64 * MB;

/** Resident MB by kind of mapping. */
export interface MappingSplit {
  rss: number;
  nodeBinary: number;
  libvips: number;
  otherLibraries: number;
  mainArena: number;
  threadArenas: number;
  threadStacks: number;
  jitCode: number;
  otherAnonymous: number;
  /** Every anonymous byte (everything but files): what the by-owner split divides. */
  anonymous: number;
}

interface Mapping {
  start: number;
  end: number;
  perms: string;
  path: string;
  rssKb: number;
}

function mappingsOf(pid: number | 'self'): Mapping[] {
  const mappings: Mapping[] = [];
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return mappings;
  }
  let current: Mapping | undefined;
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      current = { start: parseInt(header[1]!, 16), end: parseInt(header[2]!, 16), perms: header[3]!, path: header[4]!, rssKb: 0 };
      mappings.push(current);
    } else if (current && line.startsWith('Rss:')) {
      current.rssKb = Number(/(\d+)/.exec(line)![1]);
    }
  }
  return mappings;
}

/** The process's resident memory by kind of mapping, in MB. */
export function mappingSplit(pid: number | 'self' = 'self'): MappingSplit {
  const split: MappingSplit = { rss: 0, nodeBinary: 0, libvips: 0, otherLibraries: 0, mainArena: 0, threadArenas: 0, threadStacks: 0, jitCode: 0, otherAnonymous: 0, anonymous: 0 };
  const mappings = mappingsOf(pid);
  const add = (key: keyof MappingSplit, kb: number) => (split[key] += kb / 1024);
  mappings.forEach((mapping, index) => {
    const kb = mapping.rssKb;
    add('rss', kb);
    const previous = mappings[index - 1];
    const next = mappings[index + 1];
    const file = mapping.path.startsWith('/') && !mapping.path.startsWith('/memfd:') && !mapping.path.startsWith('/dev/zero');
    if (file) {
      if (/\/node$|\/bin\/node/.test(mapping.path)) add('nodeBinary', kb);
      else if (/libvips|sharp/.test(mapping.path)) add('libvips', kb);
      else add('otherLibraries', kb);
      return;
    }
    add('anonymous', kb);
    if (mapping.path === '[heap]') add('mainArena', kb);
    else if (mapping.perms.includes('x')) add('jitCode', kb);
    else if (
      // A thread arena: read-write from a 64 MB boundary, the rest of its 64 MB reserved (---p) after it.
      mapping.start % ARENA_BYTES === 0 &&
      next?.perms.startsWith('---') &&
      next.start === mapping.end &&
      next.end - mapping.start === ARENA_BYTES
    )
      add('threadArenas', kb);
    else if (
      // A pthread stack: a guard page (---p, a few KB) right below a read-write mapping.
      previous?.perms.startsWith('---') &&
      previous.end === mapping.start &&
      previous.end - previous.start <= 64 * 1024 &&
      mapping.end - mapping.start <= 16 * MB
    )
      add('threadStacks', kb);
    else if (mapping.path === '[stack]') add('threadStacks', kb);
    else add('otherAnonymous', kb);
  });
  return split;
}

/** What the process itself can tell about its memory, in MB. */
export interface OwnerCounters {
  /** The main thread's V8 heap, committed. */
  v8Heap: number;
  /** ArrayBuffers and other memory V8 knows is held for JS objects (Buffers: sources, results) on the main thread. */
  external: number;
  /** Worker threads' V8 heaps, committed (the analysis models' JS objects). */
  workerHeap: number;
  /** Worker threads' external memory (tensors, wasm memory, pixels handed over). */
  workerExternal: number;
  /** libvips' tracked allocations (pixel buffers of renders in flight and its operation cache), from sharp.cache(). */
  libvips: number;
}

/** A worker thread's heap statistics, as `Worker.getHeapStatistics()` gives them. */
export interface WorkerHeap {
  total_heap_size: number;
  external_memory: number;
}

/**
 * The owners' counters now. `libvipsMb` is sharp.cache().memory.current (MB; libvips' tracked
 * memory: its pixel buffers, not its code); `workers` the heaps of the process's worker threads.
 */
export function ownerCounters(libvipsMb: number, workers: WorkerHeap[] = []): OwnerCounters {
  const usage = process.memoryUsage();
  return {
    v8Heap: usage.heapTotal / MB,
    external: usage.external / MB,
    workerHeap: workers.reduce((sum, heap) => sum + heap.total_heap_size, 0) / MB,
    workerExternal: workers.reduce((sum, heap) => sum + heap.external_memory, 0) / MB,
    libvips: libvipsMb,
  };
}

/** One sample: both splits, taken together. */
export interface MemorySample {
  mappings: MappingSplit;
  owners: OwnerCounters;
  /** Anonymous memory no owner counts: glibc's kept free blocks and fragmentation, stacks, V8's own malloc. */
  unaccounted: number;
}

export function sampleOf(mappings: MappingSplit, owners: OwnerCounters): MemorySample {
  const counted = owners.v8Heap + owners.external + owners.workerHeap + owners.workerExternal + owners.libvips;
  return { mappings, owners, unaccounted: mappings.anonymous - counted };
}

/**
 * Watches the calling process's RSS every `intervalMs` and keeps a full sample (smaps and the
 * owners' counters) taken near its highest RSS; `stop()` ends it and returns that sample.
 *
 * Only RSS is read at every tick (`/proc/self/statm`: microseconds); the full sample is taken when
 * RSS has grown `stepMb` above the highest so far, so the profile is within `stepMb` of the peak seen.
 * A smaps walk is not cheap (6.5 ms of CPU, 5 of it in the kernel, in a fresh Node; 15 ms with the
 * analysis models loaded, ~725 mappings), though side by side the bulk workflow's CPU per image did
 * not measurably differ (bench/README.md, "Session 7"): the workflow's samples wait on the models'
 * worker for its heap figures, so they came at most once per analysis.
 */
export function watchPeak(
  counters: () => Promise<{ libvipsMb: number; workers: WorkerHeap[] }>,
  options: { intervalMs?: number; stepMb?: number; rssMb?: () => number } = {},
): { stop(): Promise<MemorySample | undefined> } {
  const { intervalMs = 100, stepMb = 8, rssMb = statmRssMb } = options;
  let peak: MemorySample | undefined;
  /** RSS as read at the tick of the highest sample so far. */
  let sampledAt = -Infinity;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rss = rssMb();
      if (rss >= sampledAt + stepMb) {
        const { libvipsMb, workers } = await counters();
        const sample = sampleOf(mappingSplit('self'), ownerCounters(libvipsMb, workers));
        sampledAt = rss;
        if (!peak || sample.mappings.rss > peak.mappings.rss) peak = sample;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** This process's resident set in MB from `/proc/self/statm` (pages; 4 KB on the bench machine's x86-64). */
export function statmRssMb(): number {
  const resident = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
  return (resident * 4096) / MB;
}

/** A sample as flat `prefix:name` figures in MB, one decimal (the bench's JSON rows are flat numbers). */
export function flatten(prefix: string, sample: MemorySample | undefined): Record<string, number> {
  if (!sample) return {};
  const round = (value: number) => Math.round(value * 10) / 10;
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(sample.mappings)) out[`${prefix}:map:${name}`] = round(value);
  for (const [name, value] of Object.entries(sample.owners)) out[`${prefix}:owner:${name}`] = round(value);
  out[`${prefix}:owner:unaccounted`] = round(sample.unaccounted);
  return out;
}

const MAPPING_ROWS: Array<[keyof MappingSplit, string]> = [
  ['rss', 'RSS'],
  ['nodeBinary', 'file: the Node binary'],
  ['libvips', 'file: libvips and sharp'],
  ['otherLibraries', 'file: other libraries'],
  ['anonymous', 'anonymous, of which:'],
  ['mainArena', '  glibc main arena ([heap])'],
  ['threadArenas', '  glibc thread arenas (64 MB reservations; heuristic)'],
  ['threadStacks', '  thread stacks (behind a guard page; heuristic)'],
  ['jitCode', '  JIT and wasm code'],
  ['otherAnonymous', '  other: V8 heap pages, malloc\'s large blocks, wasm memory'],
];

const OWNER_ROWS: Array<[keyof OwnerCounters | 'unaccounted', string]> = [
  ['v8Heap', 'main thread V8 heap (committed)'],
  ['external', 'main thread ArrayBuffers/external (Buffers)'],
  ['workerHeap', 'worker threads\' V8 heaps (the analysis models\' JS)'],
  ['workerExternal', 'worker threads\' external (tensors, wasm memory)'],
  ['libvips', 'libvips tracked (pixel buffers, sharp.cache())'],
  ['unaccounted', 'unaccounted: glibc\'s free blocks and fragmentation, stacks, V8 internals'],
];

/** Markdown tables of samples side by side (columns: the samples' names), MB. */
export function profileTables(columns: Record<string, MemorySample | undefined>): string {
  const names = Object.keys(columns);
  const cell = (value: number | undefined) => (value === undefined ? '' : value.toFixed(0));
  const head = (title: string) => `| ${title} | ${names.join(' | ')} |\n| --- |${names.map(() => ' ---: |').join('')}\n`;
  const byMapping = MAPPING_ROWS.map(([key, label]) => `| ${label} | ${names.map((name) => cell(columns[name]?.mappings[key])).join(' | ')} |`).join('\n');
  const byOwner = OWNER_ROWS.map(
    ([key, label]) => `| ${label} | ${names.map((name) => cell(key === 'unaccounted' ? columns[name]?.unaccounted : columns[name]?.owners[key])).join(' | ')} |`,
  ).join('\n');
  return `${head('by mapping (smaps), MB')}${byMapping}\n\n${head('anonymous memory by owner, MB')}${byOwner}\n`;
}

/** A sample back from its flat figures (the bench phases' JSON). */
export function unflatten(prefix: string, figures: Record<string, number>): MemorySample | undefined {
  if (figures[`${prefix}:map:rss`] === undefined) return undefined;
  const pick = (kind: string) =>
    Object.fromEntries(
      Object.entries(figures)
        .filter(([name]) => name.startsWith(`${prefix}:${kind}:`))
        .map(([name, value]) => [name.slice(prefix.length + kind.length + 2), value]),
    );
  const { unaccounted = 0, ...owners } = pick('owner');
  return { mappings: pick('map') as unknown as MappingSplit, owners: owners as unknown as OwnerCounters, unaccounted };
}

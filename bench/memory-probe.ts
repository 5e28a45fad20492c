/**
 * A memory probe for a server the bench starts (`NODE_OPTIONS=--import=<this, bundled>`): with
 * BENCH_MEMORY_PROBE=<file>, it samples its process every 100 ms (bench/memory-profile.ts: smaps,
 * process.memoryUsage(), libvips' tracked memory) and keeps `{ peak, now }` in that file, where
 * `peak` is the sample at the highest RSS so far. Bench-only: the product has no such endpoint.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { mappingSplit, ownerCounters, sampleOf, type MemorySample } from './memory-profile.js';

const file = process.env.BENCH_MEMORY_PROBE;
if (file) {
  const { default: sharp } = await import('sharp');
  let peak: MemorySample | undefined;
  setInterval(() => {
    const now = sampleOf(mappingSplit('self'), ownerCounters(sharp.cache().memory.current));
    if (!peak || now.mappings.rss > peak.mappings.rss) peak = now;
    // Whole or not at all: the bench may read it at any moment.
    writeFileSync(`${file}.tmp`, JSON.stringify({ peak, now }));
    renameSync(`${file}.tmp`, file);
  }, 100).unref();
}

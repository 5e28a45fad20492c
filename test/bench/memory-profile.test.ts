/**
 * The bulk bench's peak watch: it reads RSS at every tick but takes a full sample (a smaps walk,
 * ~15 ms of CPU once the analysis models are loaded) only when RSS reaches a new high, so watching
 * a burst does not take a share of the cores it measures.
 */
import { watchPeak } from '../../bench/memory-profile.js';

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('samples once while RSS is flat, again when it grows by the step, and not when it falls back', async () => {
  let ticks = 0;
  // RSS as the watch reads it: flat at 100 MB, 104 (below the 8 MB step), 150 (a new high), then 120.
  const rss = () => {
    ticks++;
    return ticks <= 20 ? 100 : ticks <= 40 ? 104 : ticks <= 60 ? 150 : 120;
  };
  let samples = 0;
  const counters = async () => {
    samples++;
    return { libvipsMb: 0, workers: [] };
  };
  const watch = watchPeak(counters, { intervalMs: 1, stepMb: 8, rssMb: rss });
  await until(() => ticks >= 80);
  const peak = await watch.stop();
  expect(samples).toBe(2);
  // The sample itself is the real process's: smaps read, owners counted.
  expect(peak?.mappings.rss).toBeGreaterThan(0);
  expect(peak?.owners.v8Heap).toBeGreaterThan(0);
});

/**
 * Peak memory under a burst of 12 MP requests: a fresh server process per measurement, a burst
 * at low and at high concurrency (every request a different width, so nothing is coalesced or
 * served from a cache), then its peak resident set (VmHWM) read from /proc. Bounded means the
 * peak does not grow with the number of requests in flight. SIH's request path, under the same
 * burst, is the baseline.
 */
import type { BenchContext } from '../context.js';
import { alternate, figure, ratios, type Sample } from '../harness.js';
import { copyName } from '../inputs.js';
import { JOBS, scaled, sihPath, type Job } from '../jobs.js';
import { load } from '../load.js';
import { treePeakRssMb } from '../procfs.js';
import { startNodeServer } from '../servers.js';

export async function memory(ctx: BenchContext): Promise<void> {
  const job = scaled(JOBS.find((candidate) => candidate.id === '12mp-webp')!, ctx.smoke);
  const file = copyName(job.input, 0);
  const shutterPathFor = (width: number) => `/${file}?width=${width}&format=${job.format}`;
  const burst = (mode: 'shutter' | 'sih', connections: number) => async (): Promise<Sample> => {
    const server = await startNodeServer(mode, ctx.dataDir);
    try {
      const idle = treePeakRssMb(server.pid);
      const paths = Array.from({ length: connections }, (_, i) => {
        const sized: Job = { ...job, width: job.width - i };
        return mode === 'shutter' ? shutterPathFor(sized.width) : sihPath(sized, file);
      });
      await load({ base: server.url, paths, connections, amount: connections * (ctx.smoke ? 1 : 3) });
      return { value: treePeakRssMb(server.pid), idle };
    } finally {
      await server.stop();
    }
  };
  const low = 2;
  const high = ctx.smoke ? 8 : 32;
  ctx.log('memory: peak RSS under 12 MP bursts');
  const samples = await alternate(ctx.smoke ? 1 : Math.max(2, Math.ceil(ctx.rounds / 2)), {
    [`shutter ×${low}`]: burst('shutter', low),
    [`shutter ×${high}`]: burst('shutter', high),
    [`SIH ×${high}`]: burst('sih', high),
  });
  const shutterHigh = samples[`shutter ×${high}`]!;
  const growth = ratios(shutterHigh, samples[`shutter ×${low}`]!);
  ctx.add({
    group: 'memory',
    scenario: `peak RSS, burst of 12 MP → WebP, ${high} vs ${low} in flight`,
    subject: `shutter, ${high} in flight`,
    subjectValue: figure(shutterHigh),
    baseline: `shutter, ${low} in flight`,
    baselineValue: figure(samples[`shutter ×${low}`]!),
    unit: 'MB',
    ratio: growth,
    target: 'bounded: ≤ 1.5×',
    met: growth.median <= 1.5,
    note: `idle ${figure(shutterHigh, 'idle').median.toFixed(0)} MB`,
  });
  ctx.add({
    group: 'memory',
    scenario: `peak RSS, burst of 12 MP → WebP, ${high} in flight`,
    subject: 'shutter',
    subjectValue: figure(shutterHigh),
    baseline: 'SIH path (emulated)',
    baselineValue: figure(samples[`SIH ×${high}`]!),
    unit: 'MB',
    ratio: ratios(shutterHigh, samples[`SIH ×${high}`]!),
    note: 'lower is better',
  });
}

/**
 * Peak memory under a burst of 12 MP requests: a fresh server process per measurement, a burst
 * at low and at high concurrency (every request a different width, so nothing is coalesced or
 * served from a cache), then its peak resident set (VmHWM) read from /proc. Bounded means the
 * peak does not grow with the number of requests in flight. SIH's request path, under the same
 * burst, is the baseline.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleForNode } from '../../scripts/bundle-node.mjs';
import { DEFAULTS } from '../../core/limits.js';
import type { BenchContext } from '../context.js';
import { alternate, figure, get, ratios, stats, type Sample } from '../harness.js';
import { copyName, ROOT } from '../inputs.js';
import { JOBS, rawSharpPath, scaled, sihPath, type Job } from '../jobs.js';
import { load } from '../load.js';
import { profileTables, type MemorySample } from '../memory-profile.js';
import { rssMb, treePeakRssMb } from '../procfs.js';
import { startNodeServer, startSharpFloor, startShutterServe, type RunningServer } from '../servers.js';

export async function memory(ctx: BenchContext): Promise<void> {
  const job = scaled(JOBS.find((candidate) => candidate.id === '12mp-webp')!, ctx.smoke);
  const file = copyName(job.input, 0);
  const shutterPathFor = (width: number) => `/${file}?width=${width}&format=${job.format}`;
  const low = 2;
  const high = ctx.smoke ? 8 : 32;
  // Every request of the burst admitted (the default sheds beyond 2 renders + 16 waiting with a
  // 503): what is measured is what the waiting ones hold, which the gate keeps to promises.
  const admitAll = { MAX_QUEUED_RENDERS: String(high) };
  const burst = (mode: 'shutter' | 'sih', connections: number) => async (): Promise<Sample> => {
    const server = await startNodeServer(mode, ctx.dataDir, mode === 'shutter' ? admitAll : {});
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

/**
 * Issue 19's memory targets, on `shutter serve` itself: idle RSS once started (target ≤ 100 MB;
 * baseline: a fresh Node that has loaded sharp, the floor of any sharp server), and peak RSS in a
 * burst of 12 MP renders, 8 in flight, every request a different width (target ≤ 300 MB;
 * baseline: the raw-sharp server under the same burst), then the RSS a few seconds after it.
 * BENCH_BEFORE_CLI=<another build's dist/shutter.mjs> adds that build as a third variant, for
 * before/after figures measured side by side.
 */
export async function serveMemory(ctx: BenchContext): Promise<void> {
  const job = scaled(JOBS.find((candidate) => candidate.id === '12mp-webp')!, ctx.smoke);
  const file = copyName(job.input, 0);
  const inFlight = 8;
  const requests = ctx.smoke ? 8 : 24;
  const widths = Array.from({ length: requests }, (_, i) => job.width - 7 * i);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 3000));
  // Past MEMORY_IDLE_SECONDS (its default) after the burst, and a little more: shutter has given memory back.
  // (A smoke run only proves the scenario runs: it does not wait.)
  const rest = () => new Promise((resolve) => setTimeout(resolve, ctx.smoke ? 0 : DEFAULTS.memoryIdleMs + 2000));
  const burst = async (base: string, pathFor: (width: number) => string) => {
    const queue = [...widths];
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        for (let width = queue.shift(); width !== undefined; width = queue.shift()) {
          const answer = await get(base + pathFor(width));
          if (answer.status !== 200) throw new Error(`${pathFor(width)} answered ${answer.status}`);
        }
      }),
    );
  };
  const measure = (start: () => Promise<RunningServer>, pathFor: (width: number) => string) => async (): Promise<Sample> => {
    const server = await start();
    try {
      await settle();
      const idle = rssMb(server.pid);
      await burst(server.url, pathFor);
      const peak = treePeakRssMb(server.pid);
      await settle();
      const after = rssMb(server.pid);
      await rest();
      return { value: peak, idle, after, rested: rssMb(server.pid) };
    } finally {
      await server.stop();
    }
  };
  ctx.log('memory: shutter serve, idle and a burst of 12 MP renders');
  const shutterPathFor = (width: number) => `/${file}?width=${width}&format=${job.format}`;
  // What holds the memory (bench/memory-profile.ts): one more burst, on a server carrying the probe.
  const profiled = async (): Promise<string> => {
    const probe = await bundleForNode(path.join(ROOT, 'bench', 'memory-probe.ts'), path.join(ROOT, '.cache', 'bench', 'memory-probe.mjs'));
    const samples = path.join(ctx.dataDir, 'memory-probe.json');
    const read = () => JSON.parse(readFileSync(samples, 'utf8')) as { peak: MemorySample; now: MemorySample };
    const server = await startShutterServe(ctx.dataDir, { env: { NODE_OPTIONS: `--import=${pathToFileURL(probe).href}`, BENCH_MEMORY_PROBE: samples } });
    try {
      await settle();
      const idle = read().now;
      await burst(server.url, shutterPathFor);
      const peak = read().peak;
      await settle();
      const after = read().now;
      await rest();
      return profileTables({ idle, peak, '3 s after': after, [`${(DEFAULTS.memoryIdleMs + 2000) / 1000 + 3} s after`]: read().now });
    } finally {
      await server.stop();
    }
  };
  const idleOnly = (start: () => Promise<RunningServer>) => async (): Promise<Sample> => {
    const server = await start();
    try {
      await settle();
      return { value: rssMb(server.pid) };
    } finally {
      await server.stop();
    }
  };
  const before = process.env.BENCH_BEFORE_CLI;
  const samples = await alternate(ctx.smoke ? 1 : Math.max(2, Math.ceil(ctx.rounds / 2)), {
    serve: measure(() => startShutterServe(ctx.dataDir), shutterPathFor),
    sharp: measure(() => startNodeServer('raw-sharp', ctx.dataDir), (width) => rawSharpPath({ ...job, width }, file)),
    floor: idleOnly(() => startSharpFloor()),
    ...(before ? { before: measure(() => startShutterServe(ctx.dataDir, { cli: before }), shutterPathFor) } : {}),
  });
  const profile = await profiled();
  ctx.log(`memory profile of shutter serve, ${requests} × 12 MP, ${inFlight} in flight:\n${profile}`);
  ctx.report.attachments.push({ name: `memory profile: shutter serve, ${requests} × 12 MP → WebP, ${inFlight} in flight`, text: profile });
  const serve = samples.serve!;
  const sharpServer = samples.sharp!;
  const idle = figure(serve, 'idle');
  ctx.add({
    group: 'memory',
    scenario: 'idle RSS of shutter serve after start',
    subject: 'shutter serve',
    subjectValue: idle,
    baseline: 'a fresh Node with sharp loaded',
    baselineValue: figure(samples.floor!),
    unit: 'MB',
    ratio: ratios(serve.map((sample) => ({ value: sample.idle! })), samples.floor!),
    target: '≤ 100 MB',
    met: idle.median <= 100,
  });
  const peak = figure(serve);
  ctx.add({
    group: 'memory',
    scenario: `peak RSS, ${requests} × 12 MP → WebP, ${inFlight} in flight, every width different`,
    subject: 'shutter serve',
    subjectValue: peak,
    baseline: 'raw sharp (HTTP)',
    baselineValue: figure(sharpServer),
    unit: 'MB',
    ratio: ratios(serve, sharpServer),
    target: '≤ 300 MB',
    met: peak.median <= 300,
    note: `3 s after the burst: ${figure(serve, 'after').median.toFixed(0)} MB (raw sharp ${figure(sharpServer, 'after').median.toFixed(0)} MB)`,
  });
  const rested = figure(serve, 'rested');
  ctx.add({
    group: 'memory',
    scenario: `RSS of shutter serve once idle after the burst (MEMORY_IDLE_SECONDS ${DEFAULTS.memoryIdleMs / 1000} s and 2 s more)`,
    subject: 'shutter serve',
    subjectValue: rested,
    baseline: 'its idle RSS after start',
    baselineValue: idle,
    unit: 'MB',
    ratio: stats(serve.map((sample) => sample.rested! / sample.idle!)),
    target: '≤ 1.2× idle',
    met: rested.median <= 1.2 * idle.median,
    note: `raw sharp then: ${figure(sharpServer, 'rested').median.toFixed(0)} MB${before ? `; before: ${figure(samples.before!, 'rested').median.toFixed(0)} MB` : ''}`,
  });
  if (before) {
    const earlier = samples.before!;
    ctx.add({
      group: 'memory',
      scenario: 'idle RSS of shutter serve after start: after / before',
      subject: 'shutter serve',
      subjectValue: idle,
      baseline: 'the build in BENCH_BEFORE_CLI',
      baselineValue: figure(earlier, 'idle'),
      unit: 'MB',
      ratio: ratios(serve, earlier, 'idle'),
    });
    ctx.add({
      group: 'memory',
      scenario: `peak RSS, ${requests} × 12 MP → WebP, ${inFlight} in flight: after / before`,
      subject: 'shutter serve',
      subjectValue: peak,
      baseline: 'the build in BENCH_BEFORE_CLI',
      baselineValue: figure(earlier),
      unit: 'MB',
      ratio: ratios(serve, earlier),
      note: `3 s after the burst: ${figure(earlier, 'after').median.toFixed(0)} MB before`,
    });
  }
}

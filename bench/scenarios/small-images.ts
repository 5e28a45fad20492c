/**
 * Small images (issue 19): a 2 MP JPEG → 400 px JPEG, shutter's image handler in process (no HTTP,
 * no result cache) against raw sharp in process, at 1, 2 and 8 requests in flight. Each request in
 * flight asks for its own width (400, 401, ...) so nothing is coalesced. Two raw-sharp baselines:
 * handed the bytes already in memory, and reading the same file first as shutter must (the fair
 * one: shutter's storage reads the file at every request). Also CPU time per image (this
 * process's, libvips' threads included), which a loaded machine inflates far less than wall
 * time, and the time one render takes at 2 in flight against 1: what the cores explain is what
 * raw sharp shows too. And the main thread's CPU per image: the event loop's own work (shutter's
 * routing, validation, headers, logs and records, sharp's calls), which is what shutter adds.
 *
 * Samples are long and many (session 6): 240 renders (~2 s) per sample, 9 rounds after a warm-up.
 * With 60-render samples (~0.5 s) one quiet run's ratio ranged 0.80–1.01: a sample's start and
 * end (the in-flight renders filling and draining) and an access-record batch or a GC landing in
 * one variant's sample weighed on it. The scenario now takes ~2.5 min on a quiet 2-core machine.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchContext } from '../context.js';
import { alternate, figure, ratios, throughput, type Sample } from '../harness.js';
import { copyName } from '../inputs.js';
import { JOBS, rawSharp, scaled, shutterPath, type Job } from '../jobs.js';
import { mainThreadCpuMs } from '../procfs.js';

const BUFFER = 'raw sharp (bytes in memory)';
const FILE = 'raw sharp (reading the file)';

export async function smallImages(ctx: BenchContext): Promise<void> {
  const base = scaled({ ...JOBS.find((job) => job.id === '2mp-jpeg')!, width: 400, label: 'JPEG 2 MP → JPEG 400' }, ctx.smoke);
  const { app } = ctx.shutter({ RESULT_CACHE_MB: '0' });
  const input = ctx.inputs.bytes[base.input];
  const fileOf = (worker: number) => path.join(ctx.inputs.dir, copyName(base.input, worker % ctx.inputs.copies));
  const count = ctx.smoke ? 8 : 240;
  const rounds = ctx.smoke ? 1 : Math.max(ctx.rounds, 9);
  const perWorker = (worker: number): Job => ({ ...base, width: base.width + worker });
  const perRender: Record<string, Sample[]> = {};
  for (const inFlight of [1, 2, 8]) {
    const measure = (task: (worker: number) => Promise<unknown>) => async (): Promise<Sample> => {
      const cpu = process.cpuUsage();
      const main = mainThreadCpuMs();
      const value = await throughput(count, inFlight, task);
      const mainMs = (mainThreadCpuMs() - main) / count;
      const used = process.cpuUsage(cpu);
      // Each of `inFlight` renders at once takes inFlight / throughput seconds.
      return { value, msPerRender: (1000 * inFlight) / value, cpuMs: (used.user + used.system) / 1000 / count, mainMs };
    };
    ctx.log(`small images: ${base.label}, ${inFlight} in flight`);
    const samples = await alternate(rounds, {
      [BUFFER]: measure((worker) => rawSharp(perWorker(worker), input)),
      [FILE]: measure(async (worker) => rawSharp(perWorker(worker), await readFile(fileOf(worker)))),
      shutter: measure(async (worker) => {
        const [pathname, search = ''] = shutterPath(perWorker(worker), copyName(base.input, worker % ctx.inputs.copies)).split('?');
        const response = await app.handle({ method: 'GET', path: pathname!, query: Object.fromEntries(new URLSearchParams(search)), headers: {} });
        if (response.status !== 200) throw new Error(`shutter answered ${response.status}: ${String(response.body)}`);
      }),
    });
    perRender[`shutter ${inFlight}`] = samples.shutter!;
    perRender[`raw sharp ${inFlight}`] = samples[FILE]!;
    for (const baseline of [FILE, BUFFER]) {
      const ratio = ratios(samples.shutter!, samples[baseline]!);
      ctx.add({
        group: 'small images',
        scenario: `${base.label}, ${inFlight} in flight`,
        subject: 'shutter (in process)',
        subjectValue: figure(samples.shutter!),
        baseline,
        baselineValue: figure(samples[baseline]!),
        unit: 'img/s',
        ratio,
        ...(inFlight === 1 ? {} : { target: '≥ 0.95×', met: ratio.median >= 0.95 }),
      });
    }
    ctx.add({
      group: 'small images',
      scenario: `${base.label}, ${inFlight} in flight: CPU per image`,
      subject: 'shutter CPU/img',
      subjectValue: figure(samples.shutter!, 'cpuMs'),
      baseline: `${FILE} CPU/img`,
      baselineValue: figure(samples[FILE]!, 'cpuMs'),
      unit: 'ms',
      ratio: ratios(samples.shutter!, samples[FILE]!, 'cpuMs'),
      note: 'this process, libvips threads included; shutter also logs, records access and checks limits',
    });
    ctx.add({
      group: 'small images',
      scenario: `${base.label}, ${inFlight} in flight: main thread CPU per image`,
      subject: 'shutter main thread',
      subjectValue: figure(samples.shutter!, 'mainMs'),
      baseline: `${FILE} main thread`,
      baselineValue: figure(samples[FILE]!, 'mainMs'),
      unit: 'ms',
      ratio: ratios(samples.shutter!, samples[FILE]!, 'mainMs'),
      note: "the event loop's own work (schedstat): what shutter adds per request, apart from libvips' threads",
    });
  }
  for (const who of ['shutter', 'raw sharp']) {
    ctx.add({
      group: 'small images',
      scenario: `${base.label}: one render's time, 2 in flight vs 1`,
      subject: `${who}, 2 in flight`,
      subjectValue: figure(perRender[`${who} 2`]!, 'msPerRender'),
      baseline: `${who}, 1 in flight`,
      baselineValue: figure(perRender[`${who} 1`]!, 'msPerRender'),
      unit: 'ms',
      ratio: ratios(perRender[`${who} 2`]!, perRender[`${who} 1`]!, 'msPerRender'),
      note: 'what the cores explain: raw sharp (reading the file) shows the same',
    });
  }
}

/**
 * The physical limit: for each job, libvips' own CLI (vipsthumbnail, one process per core, each
 * working through its share of the images), raw sharp in process, and shutter's image handler in
 * process (no HTTP, no result cache), alternated round by round. Throughput in images/s and CPU
 * seconds per image.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { BenchContext } from '../context.js';
import { alternate, figure, ratios, throughput, type Sample } from '../harness.js';
import { copyName } from '../inputs.js';
import { rawSharp, sharpEncoder, shutterPath, vipsOutput, type Job } from '../jobs.js';
import { childrenCpuSeconds } from '../procfs.js';

export async function ceiling(ctx: BenchContext): Promise<void> {
  const hasCli = await new Promise<boolean>((resolve) => spawn('vipsthumbnail', ['--version']).on('exit', (code) => resolve(code === 0)).on('error', () => resolve(false)));
  if (!hasCli) ctx.skip('vipsthumbnail baseline', 'vipsthumbnail is not installed (bench/setup.sh installs libvips-tools)');
  const { app } = ctx.shutter({ RESULT_CACHE_MB: '0' });
  const outDir = await mkdtemp(path.join(tmpdir(), 'shutter-bench-vips-'));

  // Smoke runs: one job per CLI output format is enough to prove every path still runs.
  const jobs = ctx.smoke ? ctx.jobs.filter((job) => ['12mp-jpeg', '12mp-avif', 'png-alpha', 'gif-anim'].includes(job.id)) : ctx.jobs;
  for (const job of jobs) {
    const count = ctx.count(job);
    const input = ctx.inputs.bytes[job.input];
    const inProcess = (task: (worker: number) => Promise<unknown>) => async (): Promise<Sample> => {
      const cpu = process.cpuUsage();
      const value = await throughput(count, ctx.concurrency, task);
      const used = process.cpuUsage(cpu);
      return { value, cpu: (used.user + used.system) / 1e6 / count };
    };
    const variants: Record<string, () => Promise<Sample>> = {
      'raw sharp': inProcess(() => rawSharp(job, input)),
      'shutter (in process)': inProcess(async (worker) => {
        const response = await app.handle({ method: 'GET', ...splitPath(shutterPath(job, copyName(job.input, worker))), headers: {} });
        if (response.status !== 200) throw new Error(`shutter answered ${response.status} for ${job.id}: ${String(response.body)}`);
      }),
    };
    if (hasCli) variants.vipsthumbnail = () => vipsthumbnail(ctx, job, count, outDir);
    // Shrink-on-load check: the same output from a chain that cannot use it (an extract of the
    // whole image first makes libvips decode every pixel). shutter must land near raw sharp, far above this.
    const checkShrink = job.id === '12mp-jpeg';
    if (checkShrink) {
      const { width, height } = ctx.inputs.sizes[job.input];
      variants['raw sharp, no shrink-on-load'] = inProcess(() => rawSharp(job, input, {}, { left: 0, top: 0, width, height }));
      // SIH's order: a rotation listed before the resize. sharp rotates first (no shrink-on-load);
      // shutter plans the same geometry as resize-then-rotate, which keeps it.
      const [format, encoder] = sharpEncoder(job);
      variants['raw sharp, rotate then resize'] = inProcess(() => sharp(input).autoOrient().rotate(90).resize(job.width).toFormat(format, encoder).toBuffer());
      variants['shutter, rotate then resize'] = inProcess(async (worker) => {
        const request = { key: copyName(job.input, worker), edits: { rotate: 90, resize: { width: job.width } }, outputFormat: job.format };
        const response = await app.handle({ method: 'GET', path: `/${Buffer.from(JSON.stringify(request)).toString('base64')}`, query: {}, headers: {} });
        if (response.status !== 200) throw new Error(`shutter answered ${response.status} for a rotation: ${String(response.body)}`);
      });
    }
    ctx.log(`ceiling: ${job.label}`);
    const samples = await alternate(ctx.rounds, variants);
    const shutter = samples['shutter (in process)']!;
    const raw = samples['raw sharp']!;
    ctx.add({
      group: 'ceiling',
      scenario: job.label,
      subject: 'shutter (in process)',
      subjectValue: figure(shutter),
      baseline: 'raw sharp',
      baselineValue: figure(raw),
      unit: 'img/s',
      ratio: ratios(shutter, raw),
      target: '≥ 0.9×',
      met: ratios(shutter, raw).median >= 0.9,
    });
    if (checkShrink) {
      const full = samples['raw sharp, no shrink-on-load']!;
      ctx.add({
        group: 'ceiling',
        scenario: `${job.label}: shrink-on-load check`,
        subject: 'shutter (in process)',
        subjectValue: figure(shutter),
        baseline: 'raw sharp, no shrink-on-load',
        baselineValue: figure(full),
        unit: 'img/s',
        ratio: ratios(shutter, full),
        note: 'well above 1× = the pipeline keeps libvips’ JPEG shrink-on-load',
      });
      const rotated = samples['shutter, rotate then resize']!;
      const rotatedRaw = samples['raw sharp, rotate then resize']!;
      ctx.add({
        group: 'ceiling',
        scenario: `${job.label}: rotate 90 then resize (SIH order)`,
        subject: 'shutter, rotate then resize',
        subjectValue: figure(rotated),
        baseline: 'raw sharp, rotate then resize',
        baselineValue: figure(rotatedRaw),
        unit: 'img/s',
        ratio: ratios(rotated, rotatedRaw),
        note: 'above 1× = the planned resize-then-rotate keeps shrink-on-load that sharp loses when it rotates first',
      });
    }
    const vips = samples.vipsthumbnail;
    if (vips) {
      ctx.add({
        group: 'ceiling',
        scenario: job.label,
        subject: 'raw sharp',
        subjectValue: figure(raw),
        baseline: 'vipsthumbnail',
        baselineValue: figure(vips),
        unit: 'img/s',
        ratio: ratios(raw, vips),
        note: 'sharp bundles a newer libvips than Debian’s CLI; both use 2 threads per image, 2 images at once',
      });
      const cpuRatio = ratios(shutter, vips, 'cpu');
      ctx.add({
        group: 'ceiling',
        scenario: job.label,
        subject: 'shutter CPU/img',
        subjectValue: scaleStats(figure(shutter, 'cpu'), 1000),
        baseline: 'vipsthumbnail CPU/img',
        baselineValue: scaleStats(figure(vips, 'cpu'), 1000),
        unit: 'ms',
        ratio: cpuRatio,
        target: '≤ 1.2×',
        met: cpuRatio.median <= 1.2,
      });
    }
  }
}

/** vipsthumbnail over `count` images: one process per worker, each given its share as arguments. */
async function vipsthumbnail(ctx: BenchContext, job: Job, count: number, outDir: string): Promise<Sample> {
  const cpu = childrenCpuSeconds();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: ctx.concurrency }, (_, worker) => {
      const share = Math.floor(count / ctx.concurrency) + (worker < count % ctx.concurrency ? 1 : 0);
      const file = path.join(ctx.inputs.dir, copyName(job.input, worker)) + (job.animated ? '[n=-1]' : '');
      const args = [...Array(share).fill(file), '--size', `${job.width}x`, '-o', path.join(outDir, `w${worker}-%s${vipsOutput(job)}`)];
      return new Promise<void>((resolve, reject) => {
        const child = spawn('vipsthumbnail', args, { stdio: ['ignore', 'ignore', 'pipe'], env: cliEnv() });
        let errors = '';
        child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vipsthumbnail failed (${code}): ${errors.slice(0, 500)}`))));
      });
    }),
  );
  const value = count / ((performance.now() - started) / 1000);
  return { value, cpu: (childrenCpuSeconds() - cpu) / count };
}

/**
 * The CLI's environment: 2 threads per image like sharp here, and without the VIPSHOME that sharp
 * sets in this process (it points the CLI's libvips at sharp's modules: no AVIF/HEIF saver then).
 */
function cliEnv(): NodeJS.ProcessEnv {
  const { VIPSHOME: _sharpsOwn, ...env } = process.env;
  return { ...env, VIPS_CONCURRENCY: '2' };
}

export function splitPath(url: string): { path: string; query: Record<string, string> } {
  const [pathname, search = ''] = url.split('?', 2) as [string, string?];
  return { path: pathname, query: Object.fromEntries(new URLSearchParams(search)) };
}

function scaleStats(stats: { min: number; median: number; max: number }, factor: number) {
  return { min: stats.min * factor, median: stats.median * factor, max: stats.max * factor };
}

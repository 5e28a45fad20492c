/**
 * The same jobs over HTTP on loopback, same concurrency, each server in its own process:
 * shutter (no result cache, so every request renders), the raw-sharp Node server (the HTTP
 * ceiling for Node), SIH's request path, the Go + libvips server (imgproxy or its stand-in), and
 * thumbor. Before measuring, every server's answer to every job is checked (format, width,
 * frames): a server that cannot do the job is reported as such, not timed.
 */
import sharp from 'sharp';
import type { BenchContext } from '../context.js';
import { alternate, figure, ratios, type Sample } from '../harness.js';
import { copyName } from '../inputs.js';
import { goVipsPath, rawSharpPath, shutterPath, sihPath, thumborPath, type Job } from '../jobs.js';
import { load } from '../load.js';
import { startGoVips, startNodeServer, startThumbor, type RunningServer } from '../servers.js';

interface Contender {
  server: RunningServer;
  label: string;
  path: (job: Job, file: string) => string;
  /** Target ratio shutter/this, in requests/s. */
  target?: number;
}

export async function peers(ctx: BenchContext): Promise<void> {
  const started: RunningServer[] = [];
  try {
    const shutter = await startNodeServer('shutter', ctx.dataDir, { RESULT_CACHE_MB: '0' });
    started.push(shutter);
    const contenders: Contender[] = [
      { server: await startNodeServer('raw-sharp', ctx.dataDir), label: 'raw sharp (HTTP)', path: rawSharpPath, target: 0.9 },
      { server: await startNodeServer('sih', ctx.dataDir), label: 'SIH path (emulated)', path: sihPath, target: 1 },
    ];
    started.push(...contenders.map((c) => c.server));
    if (ctx.peers) {
      const goVips = await startGoVips(ctx.inputs.dir);
      if (typeof goVips === 'string') ctx.skip('Go + libvips peer', goVips);
      else {
        started.push(goVips);
        contenders.push({ server: goVips, label: 'Go+libvips (imgproxy stand-in)', path: goVipsPath, target: 1 });
      }
      const thumbor = await startThumbor(ctx.inputs.dir);
      if (typeof thumbor === 'string') ctx.skip('thumbor peer', thumbor);
      else {
        started.push(thumbor);
        contenders.push({ server: thumbor, label: 'thumbor', path: thumborPath, target: 3 });
      }
    } else ctx.skip('Go + libvips and thumbor peers', 'smoke run (pass --peers to include them)');

    // Smoke runs prove every server answers; one job is enough for that (two with the peers).
    const jobs = ctx.smoke ? ctx.jobs.filter((job) => job.id === '12mp-webp' || (ctx.peers && job.id === 'gif-anim')) : ctx.jobs;
    for (const job of jobs) {
      const able: Contender[] = [];
      for (const contender of contenders) {
        const problem = await check(contender.server.url + contender.path(job, copyName(job.input, 0)), job);
        if (problem) ctx.skip(`${contender.label}: ${job.label}`, problem);
        else able.push(contender);
      }
      const problem = await check(shutter.url + shutterPath(job, copyName(job.input, 0)), job);
      if (problem) throw new Error(`shutter cannot do ${job.label}: ${problem}`);
      const run = (server: RunningServer, path: Contender['path']) => async (): Promise<Sample> => {
        const result = await load({
          base: server.url,
          paths: Array.from({ length: ctx.concurrency }, (_, i) => path(job, copyName(job.input, i))),
          connections: ctx.concurrency,
          amount: ctx.count(job),
          pid: server.pid,
        });
        return { value: result.rps, cpu: result.cpuPerRequest ?? 0, p99: result.p99 };
      };
      const variants: Record<string, () => Promise<Sample>> = { shutter: run(shutter, shutterPath) };
      for (const contender of able) variants[contender.label] = run(contender.server, contender.path);
      ctx.log(`peers: ${job.label} (${Object.keys(variants).join(', ')})`);
      const samples = await alternate(ctx.rounds, variants);
      for (const contender of able) {
        const ratio = ratios(samples.shutter!, samples[contender.label]!);
        ctx.add({
          group: 'HTTP',
          scenario: job.label,
          subject: 'shutter',
          subjectValue: figure(samples.shutter!),
          baseline: contender.label,
          baselineValue: figure(samples[contender.label]!),
          unit: 'req/s',
          ratio,
          ...(contender.target ? { target: `≥ ${contender.target}×`, met: ratio.median >= contender.target } : {}),
          note: `CPU ms/req: shutter ${(figure(samples.shutter!, 'cpu').median * 1000).toFixed(1)}, ${contender.label} ${(figure(samples[contender.label]!, 'cpu').median * 1000).toFixed(1)}`,
        });
      }
    }
  } finally {
    await Promise.all(started.map((server) => server.stop()));
  }
}

/** Undefined when the answer is the job done right; else what is wrong with it. */
async function check(url: string, job: Job): Promise<string | undefined> {
  const response = await fetch(url).catch((error: unknown) => error as Error);
  if (response instanceof Error) return `request failed: ${response.message}`;
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) return `answered ${response.status}: ${body.toString('utf8', 0, 200)}`;
  const metadata = await sharp(body).metadata().catch(() => undefined);
  if (!metadata) return 'answered something that is not an image';
  const format = metadata.format === 'heif' ? 'avif' : metadata.format;
  if (format !== job.format) return `answered ${metadata.format}, not ${job.format}`;
  if (Math.abs((metadata.width ?? 0) - job.width) > 1) return `answered ${metadata.width} px wide, not ${job.width}`;
  if (job.animated && (metadata.pages ?? 1) < 2) return 'answered a single frame of an animation';
  return undefined;
}

/**
 * shutter's own answers over HTTP, each against its floor in the same run:
 * - every door (query, Thumbor, Default/base64), uncached, against the raw-sharp Node server;
 * - (`cacheHits`, the cache-hit scenario) result cache hits and ETag revalidation (304):
 *   throughput against a render, and p99 latency against the same bytes from memory;
 * - pass-through (no edits) against a Node server sending the file as stored;
 * - request coalescing, in process: a burst of identical requests with and without it.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createImageHandler } from '../../api/image-handler.js';
import type { BenchContext } from '../context.js';
import { alternate, figure, ratios, type Sample } from '../harness.js';
import { copyName } from '../inputs.js';
import { JOBS, rawSharpPath, scaled, type Job } from '../jobs.js';
import { load } from '../load.js';
import { startNodeServer, type RunningServer } from '../servers.js';
import { splitPath } from './ceiling.js';

const DOORS: Record<string, (job: Job, file: string) => string> = {
  query: (job, file) => `/${file}?width=${job.width}&format=${job.format}`,
  Thumbor: (job, file) => `/${job.width}x0/filters:format(${job.format})/${file}`,
  'Default (base64)': (job, file) =>
    `/${Buffer.from(JSON.stringify({ bucket: 'images', key: file, edits: { resize: { width: job.width } }, outputFormat: job.format })).toString('base64')}`,
};

const FLOOR = 'same bytes from memory (Node)';

export async function shutterScenarios(ctx: BenchContext): Promise<void> {
  const job = scaled(JOBS.find((candidate) => candidate.id === '2mp-webp')!, ctx.smoke);
  const started: RunningServer[] = [];
  const paths = (door: (job: Job, file: string) => string) =>
    Array.from({ length: ctx.concurrency }, (_, i) => door(job, copyName(job.input, i)));
  try {
    const uncached = await startNodeServer('shutter', ctx.dataDir, { RESULT_CACHE_MB: '0' }, 'shutter (no result cache)');
    const raw = await startNodeServer('raw-sharp', ctx.dataDir);
    started.push(uncached, raw);
    const count = ctx.count(job);
    const run = loadRun(ctx, count);

    // Every door, uncached, against the raw-sharp floor.
    const doorVariants: Record<string, () => Promise<Sample>> = { 'raw sharp (HTTP)': run(raw, paths(rawSharpPath)) };
    for (const [name, door] of Object.entries(DOORS)) doorVariants[name] = run(uncached, paths(door));
    ctx.log(`shutter: doors, ${job.label}`);
    const doors = await alternate(ctx.rounds, doorVariants);
    for (const name of Object.keys(DOORS)) {
      const ratio = ratios(doors[name]!, doors['raw sharp (HTTP)']!);
      ctx.add({ group: 'shutter', scenario: `${job.label}, uncached`, subject: `${name} door`, subjectValue: figure(doors[name]!), baseline: 'raw sharp (HTTP)', baselineValue: figure(doors['raw sharp (HTTP)']!), unit: 'req/s', ratio, target: '≥ 0.9×', met: ratio.median >= 0.9 });
    }

    // Pass-through: the stored 12 MP JPEG, no edits, against a server sending the file.
    const original = (file: string) => `/${file}`;
    const passPaths = Array.from({ length: ctx.concurrency }, (_, i) => original(copyName('photo-12mp.jpg', i)));
    ctx.log('shutter: pass-through');
    const pass = await alternate(ctx.rounds, {
      shutter: run(uncached, passPaths, { amount: count * 4 }),
      'file as stored (Node)': run(raw, passPaths, { amount: count * 4 }),
    });
    const passRatio = ratios(pass.shutter!, pass['file as stored (Node)']!);
    ctx.add({ group: 'shutter', scenario: 'pass-through, 12 MP JPEG, no edits', subject: 'shutter', subjectValue: figure(pass.shutter!), baseline: 'file as stored (Node)', baselineValue: figure(pass['file as stored (Node)']!), unit: 'req/s', ratio: passRatio, target: '≥ 0.9×', met: passRatio.median >= 0.9 });
  } finally {
    await Promise.all(started.map((server) => server.stop()));
  }
  await coalescing(ctx, job);
}

/**
 * Result cache hits over HTTP (every door) and 304 revalidation, against a render of the same
 * request, and the hit's p99 latency against its floor: a plain Node server answering the very
 * same bytes from memory, loaded the same way in the same rounds (target ≤ 1.2×).
 */
export async function cacheHits(ctx: BenchContext): Promise<void> {
  const job = scaled(JOBS.find((candidate) => candidate.id === '2mp-webp')!, ctx.smoke);
  const started: RunningServer[] = [];
  const paths = (door: (job: Job, file: string) => string) =>
    Array.from({ length: ctx.concurrency }, (_, i) => door(job, copyName(job.input, i)));
  const run = loadRun(ctx, ctx.count(job));
  try {
    const uncached = await startNodeServer('shutter', ctx.dataDir, { RESULT_CACHE_MB: '0' }, 'shutter (no result cache)');
    const cached = await startNodeServer('shutter', ctx.dataDir, {}, 'shutter (defaults)');
    started.push(uncached, cached);
    // Result cache hits (every door) and 304s, against a render of the same request.
    // Up to 2000 answers or 3 s each (1 s in smoke runs), whichever comes first.
    const hitAmount = ctx.smoke ? 50 : 2000;
    const hitSeconds = ctx.smoke ? 1 : 3;
    const same = (door: (job: Job, file: string) => string) => [door(job, copyName(job.input, 0))];
    for (const list of Object.values(DOORS).map(same)) await fetch(cached.url + list[0]); // fill the cache
    const hit = await fetch(cached.url + same(DOORS.query!)[0]);
    const etag = hit.headers.get('etag') ?? '"none"';
    // The floor: a plain Node server answering the very same bytes from memory.
    const bodyFile = path.join(ctx.dataDir, 'bench-hit-body');
    await writeFile(bodyFile, Buffer.from(await hit.arrayBuffer()));
    const memory = await startNodeServer('memory', ctx.dataDir, { BENCH_BODY_FILE: bodyFile, BENCH_BODY_TYPE: hit.headers.get('content-type') ?? '' });
    started.push(memory);
    const cacheVariants: Record<string, () => Promise<Sample>> = {
      render: run(uncached, paths(DOORS.query!)),
      [FLOOR]: run(memory, same(DOORS.query!), { amount: hitAmount, maxSeconds: hitSeconds }),
      '304 (If-None-Match)': run(cached, same(DOORS.query!), { amount: hitAmount, maxSeconds: hitSeconds, headers: { 'if-none-match': etag }, expect: 304 }),
    };
    for (const [name, door] of Object.entries(DOORS)) cacheVariants[`cache hit, ${name} door`] = run(cached, same(door), { amount: hitAmount, maxSeconds: hitSeconds });
    ctx.log('shutter: result cache and 304');
    const cache = await alternate(ctx.rounds, cacheVariants);
    const floorP99 = figure(cache[FLOOR]!, 'p99');
    const p99Ratio = ratios(cache['cache hit, query door']!, cache[FLOOR]!, 'p99');
    ctx.add({
      group: 'shutter',
      scenario: `${job.label}, repeated: p99 latency`,
      subject: 'cache hit, query door',
      subjectValue: figure(cache['cache hit, query door']!, 'p99'),
      baseline: FLOOR,
      baselineValue: floorP99,
      unit: 'ms p99',
      ratio: p99Ratio,
      target: '≤ 1.2×',
      met: p99Ratio.median <= 1.2,
      note: `the floor's p50 ${figure(cache[FLOOR]!, 'p50').median.toFixed(2)} ms: what this machine and load generator take to move these bytes at all`,
    });
    for (const name of Object.keys(cacheVariants).filter((n) => n !== 'render' && n !== FLOOR)) {
      const p99 = figure(cache[name]!, 'p99');
      ctx.add({
        group: 'shutter',
        scenario: `${job.label}, repeated`,
        subject: name,
        subjectValue: figure(cache[name]!),
        baseline: 'render (no cache)',
        baselineValue: figure(cache.render!),
        unit: 'req/s',
        ratio: ratios(cache[name]!, cache.render!),
        target: 'p99 < 2 ms',
        met: p99.median < 2,
        note: `p50 ${figure(cache[name]!, 'p50').median.toFixed(2)} ms, p99 ${p99.min.toFixed(2)} / ${p99.median.toFixed(2)} / ${p99.max.toFixed(2)} ms`,
      });
    }

  } finally {
    await Promise.all(started.map((server) => server.stop()));
  }
}

/** A measurement: `amount` requests over `list` at the bench's concurrency, with throughput, p50 and p99. */
function loadRun(ctx: BenchContext, count: number) {
  return (server: RunningServer, list: string[], options: { amount?: number; headers?: Record<string, string>; expect?: number; maxSeconds?: number } = {}) =>
    async (): Promise<Sample> => {
      const result = await load({ base: server.url, paths: list, connections: ctx.concurrency, amount: options.amount ?? count, pid: server.pid, ...options });
      return { value: result.rps, p99: result.p99, p50: result.p50 };
    };
}

/**
 * A burst of identical requests for a result nobody has yet (a new width each burst): with
 * coalescing, one render answers them all. In process, result cache off in both variants.
 */
async function coalescing(ctx: BenchContext, job: Job): Promise<void> {
  const { platform } = ctx.shutter({ RESULT_CACHE_MB: '0' });
  const burst = ctx.smoke ? 4 : 8;
  let width = job.width;
  const variant = (coalesce: boolean) => {
    const handle = createImageHandler(platform, { coalesce });
    return async (): Promise<Sample> => {
      const path = DOORS.query!({ ...job, width: width++ }, copyName(job.input, 0));
      const started = performance.now();
      const answers = await Promise.all(Array.from({ length: burst }, () => handle({ method: 'GET', ...splitPath(path), headers: {} })));
      if (answers.some((answer) => answer.status !== 200)) throw new Error('coalescing burst: not every answer was 200');
      return { value: burst / ((performance.now() - started) / 1000) };
    };
  };
  ctx.log('shutter: coalescing');
  const samples = await alternate(ctx.rounds * 2, { coalesced: variant(true), 'not coalesced': variant(false) });
  ctx.add({
    group: 'shutter',
    scenario: `burst of ${burst} identical requests, ${job.label}`,
    subject: 'coalesced',
    subjectValue: figure(samples.coalesced!),
    baseline: 'not coalesced',
    baselineValue: figure(samples['not coalesced']!),
    unit: 'req/s',
    ratio: ratios(samples.coalesced!, samples['not coalesced']!),
    note: 'in process, result cache off',
  });
}

/**
 * Local analysis off the event loop (issue 19), as users get it, the figure of record: `shutter serve`
 * built (`dist/shutter.mjs`, `npm run build`) in a process of its own with its defaults, cache hits
 * (2 MP → 400 px JPEG) asked over HTTP with keep-alive from the bench process, one after another, while
 * one uncached smart crop of the 12 MP photo (SIH's `smartCrop` edit in a base64 path, on another
 * connection) makes the server's local analyzer search it for faces. Quiet rounds: the same number of
 * hits on the same server, no smart crop. Target: the hits' p99 during the search ≤ 2× the quiet p99.
 *
 * Each smart crop reads a new copy of the photo (its pixels, with a JPEG comment of its own), so neither
 * the analysis cache in memory nor the one on disk answers it, and the server's `/metrics` must count one
 * more face search for it. `BENCH_BEFORE_CLI=<another build's dist/shutter.mjs>` serves that build beside
 * this one, each over its own data folder, in the same rounds.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { BenchContext } from '../context.js';
import { alternate, figure, get, percentile, ratios, repeatWhile, stats, type Sample } from '../harness.js';
import { copyName, ROOT } from '../inputs.js';
import { JOBS, scaled, shutterPath } from '../jobs.js';
import { dataDirFor, startShutterServe, type RunningServer } from '../servers.js';

/** The builds, by the names the report prints. */
const THIS_BUILD = 'shutter serve (this build)';
const BEFORE_BUILD = 'shutter serve (BENCH_BEFORE_CLI)';
const QUIET = 'quiet';
const DURING = 'during a smart crop';
/** The photo every smart crop reads a new copy of. */
const PHOTO = 'photo-12mp.jpg';
/** The Prometheus series that counts the local analyzer's face searches (and sums their seconds). */
const FACE_SEARCHES = /^shutter_analyzer_duration_seconds_(count|sum)\{[^}]*kind="faces"[^}]*\} (\S+)$/gm;

interface Served {
  name: string;
  server: RunningServer;
  /** One keep-alive connection for the hits, another for the smart crops. */
  hits: http.Agent;
  crops: http.Agent;
  /** Every hit's latency (ms), by quiet and during, over all measured rounds. */
  pooled: Record<string, number[]>;
  /** The phases whose warm-up has run (its first smart crop also starts the worker and loads the model). */
  warmed: Set<string>;
  /** Hits the last smart crop lasted: how many the next quiet round asks. */
  lastCount: number;
}

export async function analysisServed(ctx: BenchContext): Promise<void> {
  const folder = path.join(ROOT, '.cache', 'bench', `analysis-served-${ctx.smoke ? 'smoke' : 'full'}`);
  const images = path.join(folder, 'images');
  await rm(folder, { recursive: true, force: true });
  await mkdir(images, { recursive: true });
  const hitJob = scaled({ ...JOBS.find((job) => job.id === '2mp-jpeg')!, width: 400, label: 'JPEG 2 MP → JPEG 400' }, ctx.smoke);
  const hitFile = copyName(hitJob.input, 0);
  await writeFile(path.join(images, hitFile), await readFile(path.join(ctx.inputs.dir, hitFile)));
  const hitPath = shutterPath(hitJob, hitFile);
  const photo = ctx.inputs.bytes[PHOTO];
  let copies = 0;
  /** A smart crop of a copy of the photo no server has seen (a base64 path, SIH's Default door). */
  const newSmartCrop = async (): Promise<string> => {
    const key = `photo-${copies++}.jpg`;
    await writeFile(path.join(images, key), withComment(photo, key));
    const request = { bucket: 'images', key, edits: { smartCrop: true, resize: { width: hitJob.width } }, outputFormat: 'jpeg' };
    return `/${Buffer.from(JSON.stringify(request)).toString('base64')}`;
  };

  const builds: Array<[string, string | undefined]> = [[THIS_BUILD, undefined]];
  if (process.env.BENCH_BEFORE_CLI) builds.push([BEFORE_BUILD, process.env.BENCH_BEFORE_CLI]);
  const served: Served[] = [];
  try {
    for (const [name, cli] of builds) {
      // Each build its own data folder (analysis cache on disk, event log, settings) over the same images.
      const dataDir = await dataDirFor(images, `data-${served.length}`);
      const server = await startShutterServe(dataDir, cli ? { cli } : {});
      served.push({ name, server, hits: agent(), crops: agent(), pooled: { [QUIET]: [], [DURING]: [] }, warmed: new Set(), lastCount: 100 });
    }
    for (const build of served) await fetchImage(build.hits, build.server.url + hitPath); // renders once: every later request is a hit

    const log: string[] = [];
    /** Cache hits one after another until `work` ends (at least `minimum` of them): their latencies (ms). */
    const hitsWhile = async (build: Served, phase: string, work: () => Promise<unknown>, minimum: number): Promise<number[]> => {
      const latencies = await repeatWhile(work, minimum, async () => (await fetchImage(build.hits, build.server.url + hitPath)).ms);
      if (build.warmed.has(phase)) build.pooled[phase]!.push(...latencies);
      build.warmed.add(phase);
      return latencies;
    };
    const sampleOf = (build: Served, phase: string, latencies: number[], note = ''): Sample => {
      const p99 = percentile(latencies, 99);
      log.push(`${build.name}, ${phase}: ${latencies.length} hits, p99 ${p99.toFixed(3)} ms, max ${Math.max(...latencies).toFixed(2)} ms${note}`);
      return { value: p99, count: latencies.length };
    };
    const variants: Record<string, () => Promise<Sample>> = {};
    for (const build of served) {
      variants[`${build.name}, ${QUIET}`] = async () => sampleOf(build, QUIET, await hitsWhile(build, QUIET, async () => undefined, build.lastCount));
      variants[`${build.name}, ${DURING}`] = async () => {
        // The copy written and the face searches counted before the hits start and after they end, not among them.
        const cropPath = await newSmartCrop();
        const before = await faceSearches(build);
        let cropMs = 0;
        const latencies = await hitsWhile(build, DURING, async () => (cropMs = (await fetchImage(build.crops, build.server.url + cropPath)).ms), 20);
        const after = await faceSearches(build);
        if (after.count !== before.count + 1) throw new Error(`${build.name}: a smart crop of a new photo ran ${after.count - before.count} face searches, not 1`);
        build.lastCount = latencies.length;
        return sampleOf(build, DURING, latencies, `; the smart crop ${cropMs.toFixed(0)} ms, its face search ${((after.seconds - before.seconds) * 1000).toFixed(0)} ms`);
      };
    }
    ctx.log('analysis as deployed: cache hits over HTTP to shutter serve while it smart-crops a 12 MP photo');
    const samples = await alternate(ctx.rounds, variants);
    ctx.report.attachments.push({ name: 'analysis as deployed: every measurement, warm-up first, in the order run', text: log.join('\n') });

    const megapixels = Math.round((ctx.inputs.sizes[PHOTO].width * ctx.inputs.sizes[PHOTO].height) / 1e6);
    const scenario = `cache hits over HTTP (${hitJob.label}) while shutter serve smart-crops a new ${megapixels} MP photo`;
    for (const build of served) {
      const isThis = build.name === THIS_BUILD;
      const target = isThis ? { target: '≤ 2× quiet' } : {};
      const quiet = samples[`${build.name}, ${QUIET}`]!;
      const during = samples[`${build.name}, ${DURING}`]!;
      const perRound = ratios(during, quiet);
      ctx.add({
        group: 'analysis',
        scenario: `${scenario}: p99`,
        subject: build.name,
        subjectValue: figure(during),
        baseline: `${QUIET} (the same server)`,
        baselineValue: figure(quiet),
        unit: 'ms p99',
        ratio: perRound,
        ...target,
        ...(isThis ? { met: perRound.median <= 2 } : {}),
        note: `per round: ${during.map((sample, i) => (sample.value / quiet[i]!.value).toFixed(2)).join(', ')}`,
      });
      // Every round's hits pooled: one p99 from thousands of hits, steadier than a median of a few rounds' p99s.
      const pooledDuring = percentile(build.pooled[DURING]!, 99);
      const pooledQuiet = percentile(build.pooled[QUIET]!, 99);
      ctx.add({
        group: 'analysis',
        scenario: `${scenario}: p99 of every round's hits pooled`,
        subject: build.name,
        subjectValue: stats([pooledDuring]),
        baseline: `${QUIET} (the same server)`,
        baselineValue: stats([pooledQuiet]),
        unit: 'ms p99',
        ratio: stats([pooledDuring / pooledQuiet]),
        ...target,
        ...(isThis ? { met: pooledDuring / pooledQuiet <= 2 } : {}),
        note: `${build.pooled[DURING]!.length} hits against ${build.pooled[QUIET]!.length} quiet ones`,
      });
    }
  } finally {
    await Promise.all(served.map((build) => build.server.stop()));
    for (const build of served) {
      build.hits.destroy();
      build.crops.destroy();
    }
  }
}

/** The face searches the server's local analyzer has run, and their seconds, from its `/metrics`. */
async function faceSearches(build: Served): Promise<{ count: number; seconds: number }> {
  const text = await (await fetch(`${build.server.url}/metrics`)).text();
  const found = { count: 0, seconds: 0 };
  for (const [, field, value] of text.matchAll(FACE_SEARCHES)) {
    if (field === 'count') found.count += Number(value);
    else found.seconds += Number(value);
  }
  return found;
}

/** A keep-alive agent of one connection: requests through it go one after another on the same socket. */
function agent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 1 });
}

/** One GET through `through`, checked to answer 200 with an image; its latency to the last byte (ms). */
async function fetchImage(through: http.Agent, url: string): Promise<{ ms: number }> {
  const { status, ms, bytes, type } = await get(url, {}, through);
  if (status !== 200 || !type.startsWith('image/') || bytes === 0) throw new Error(`${url} answered ${status} ${type}, ${bytes} bytes`);
  return { ms };
}

/**
 * The same JPEG with a comment segment after its start marker: the same pixels, other bytes (the
 * analysis caches key on the bytes' hash).
 */
function withComment(jpeg: Buffer, text: string): Buffer {
  const comment = Buffer.from(text);
  const length = comment.length + 2;
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xfe, length >> 8, length & 0xff]), comment, jpeg.subarray(2)]);
}

/**
 * Bulk workflow bench: N uploads of a realistic mix (`bench/bulk-mix.ts`: 0.5–12 MP around a
 * median of 2.4 MP, JPEG/PNG/WebP, a few animations) through the whole local workflow (engine,
 * tasks, renditions, events, history), side by side with sharp alone rendering the same
 * renditions (the default set: 4 presets × AVIF/WebP/JPEG, same sizes, formats and encoder
 * settings) back to back at its best concurrency, in the same run; the engine's own overhead per
 * execution (the image ASL with tasks that answer at once); and for each phase, in its own
 * process: throughput, CPU per image, cores busy, peak RSS and RSS a few seconds after the burst.
 *
 *   npm run bench:workflow -- [N=40] [--uniform <megapixels>] [--rounds 3] [--baseline-renders 4] [--split] [--smoke] [--json <file>]
 *                             [--variant 'name:KEY=value KEY=value' ...] [--analysis-idle-seconds N]
 *
 * Each phase runs under `shutter`'s own environment (its shebang's, e.g. MALLOC_ARENA_MAX); a
 * `--variant` adds a workflow phase per round under that environment plus the variant's, for
 * before/after figures of a setting (glibc's tunables, jemalloc) measured side by side. Each
 * workflow phase reports a memory profile (bench/memory-profile.ts) before, at peak and after.
 *
 * `--split` adds a profile: each task's CPU per upload, one upload at a time, beside sharp alone's.
 *
 * Baseline and workflow alternate round by round (the one going first rotates) so machine drift
 * hits both alike; the ratio is reported as the median of the rounds with its range, each round
 * with the load average at its start and end, and the time the rounds took. `npm run bench` runs it too (`--json`: its rows join the suite's table;
 * `--smoke`: 4 small uploads). `--uniform 12` is the earlier input: N photos of 12 MP.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { AslWorkflowEngine, type LocalFunction } from '../workflows/engine/asl-workflow-engine.js';
import { createPlatform } from '../core/compose.js';
import { loadConfig } from '../core/config.js';
import { DEFAULTS, WORKFLOW } from '../core/limits.js';
import { ANIMATED_FORMATS, applyEncoder } from '../core/pipeline/encode.js';
import { configureSharp, DEFAULT_IMAGE_LIMITS, inspectImage, openImage } from '../core/pipeline/sharp-factory.js';
import { DEFAULT_RENDITION_SETS, type RenditionFormat, type RenditionPreset } from '../core/renditions.js';
import * as inspect from '../tasks/inspect.js';
import * as moderate from '../tasks/moderate.js';
import * as renderRenditions from '../tasks/render-renditions.js';
import * as smartCrop from '../tasks/smart-crop.js';
import { taskDepsFrom } from '../tasks/task-deps.js';
import { realisticMix } from './bulk-mix.js';
import { stats } from './harness.js';
import { flatten, mappingSplit, ownerCounters, profileTables, sampleOf, unflatten, watchPeak, type WorkerHeap } from './memory-profile.js';
import { rssMb, threadCpuSeconds } from './procfs.js';
import { shebangOf } from './servers.js';
import type { Row } from './report.js';
import type { TaskName } from '../tasks/task-names.js';
import { IMAGE_WORKFLOW_ASL } from '../workflows/asl/image-workflow.asl.js';
import { createLocalWorkflows } from '../workflows/local-runtime.js';
import { silentLogger } from '../core/observability/logger.js';
import { CachingAnalyzer } from '../core/adapters/caching-analyzer.js';
import { LocalAnalyzer } from '../core/adapters/local/local-analyzer.js';
import type { ModelWorker } from '../core/adapters/local/model-worker.js';

// Run from the repository root (npm scripts are).
const ROOT = process.cwd();
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    uniform: { type: 'string' },
    // Three rounds: the order alternates, and the median with its range says how far one round can be trusted
    // (on a quiet 2-core machine one round of 40 uploads moved 0.78–0.81× between runs).
    rounds: { type: 'string', default: '3' },
    // sharp alone's best on the mix (2 cores, load 2–4): 1.31 img/s at 4 renders, 1.28 at 3, 0.72–0.88 at 2,
    // where small images leave the cores idle between renders.
    'baseline-renders': { type: 'string', default: '4' },
    phase: { type: 'string' },
    photos: { type: 'string' },
    executions: { type: 'string', default: '300' },
    smoke: { type: 'boolean', default: false },
    split: { type: 'boolean', default: false },
    json: { type: 'string' },
    // More runs of the workflow phase in the same rounds, each under its own environment:
    // `--variant 'jemalloc:LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2'` (name:K=V K=V).
    variant: { type: 'string', multiple: true, default: [] },
    // ANALYSIS_WORKER_IDLE_SECONDS for the workflow phases: when given, each also waits for the models'
    // worker to end after the burst and reports RSS then ("unloaded"), against idle (before any analysis).
    'analysis-idle-seconds': { type: 'string' },
  },
});
// A smoke run (the test command's) only proves the bench still runs: 4 small uploads of the mix.
if (values.smoke) Object.assign(values, { rounds: '1', executions: '20' });
const count = Number(positionals[0] ?? (values.smoke ? 4 : 40));
/** Seconds after the burst at which "RSS after" is read: long enough for a GC and glibc's trim. */
const SETTLE_SECONDS = 5;

/** N distinct photos of about `megapixels` MP (the earlier, uniform input), cached between runs. */
async function uniformPhotos(n: number, megapixels: number): Promise<string> {
  const dir = path.join(ROOT, '.cache', 'bench-photos', `${megapixels}mp`);
  mkdirSync(dir, { recursive: true });
  const samples = readdirSync(path.join(ROOT, 'samples')).filter((name) => name.endsWith('.jpg'));
  const width = Math.round(Math.sqrt((megapixels * 1e6 * 4) / 3));
  const height = Math.round((width * 3) / 4);
  for (let index = 0; index < n; index++) {
    const file = path.join(dir, `photo-${String(index).padStart(4, '0')}.jpg`);
    if (existsSync(file)) continue;
    const sample = path.join(ROOT, 'samples', samples[index % samples.length]!);
    // A different tint per photo: distinct bytes, so distinct ETags and executions.
    await sharp(sample)
      .resize(width, height, { fit: 'cover' })
      .modulate({ hue: (index * 7) % 360 })
      .jpeg({ quality: 88 })
      .toFile(file);
  }
  return dir;
}

function filesOf(dir: string, n: number): string[] {
  return readdirSync(dir)
    .filter((name) => /\.(jpg|png|webp|gif)$/.test(name))
    .sort()
    .slice(0, n)
    .map((name) => path.join(dir, name));
}

/** What one phase measured over its timed burst. */
interface PhaseResult {
  imagesPerSecond: number;
  /** Process CPU seconds (every thread: libvips' included) per image. */
  cpuSecondsPerImage: number;
  /** CPU seconds / wall seconds over the burst: 2 = both cores busy all along. */
  coresBusy: number;
  /** RSS just before the burst (models loaded by the warm-up, when the phase has any). */
  rssBeforeMb: number;
  /** RSS SETTLE_SECONDS after the burst. */
  rssAfterMb: number;
  peakRssMb: number;
  [figure: string]: number;
}

/** The counters a memory profile reads in this process: libvips' tracked memory and the analysis worker's heap. */
const countersOf = (models?: ModelWorker) => async (): Promise<{ libvipsMb: number; workers: WorkerHeap[] }> => {
  const heap = await models?.heapStatistics();
  return { libvipsMb: sharp.cache().memory.current, workers: heap ? [heap] : [] };
};

/** A memory profile now (bench/memory-profile.ts), as flat figures under `prefix`. */
async function profileNow(prefix: string, counters: ReturnType<typeof countersOf>) {
  const { libvipsMb, workers } = await counters();
  return flatten(prefix, sampleOf(mappingSplit('self'), ownerCounters(libvipsMb, workers)));
}

/** Times `burst`, with CPU and memory around it, and memory profiles before, at peak and after. */
async function measured(images: number, burst: () => Promise<void>, models?: ModelWorker): Promise<PhaseResult> {
  const counters = countersOf(models);
  const rssBeforeMb = rssMb(process.pid);
  const before = await profileNow('mem:before', counters);
  const threadsBefore = threadCpuSeconds();
  const cpu = process.cpuUsage();
  const started = performance.now();
  // BENCH_PEAK_STEP_MB=0 samples smaps at every tick, as before session 7 (the "before" of that change).
  const watch = watchPeak(counters, { stepMb: Number(process.env.BENCH_PEAK_STEP_MB ?? 8) });
  await burst();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const threads = threadSplit(threadsBefore, threadCpuSeconds(), cpuSeconds, images);
  const peak = flatten('mem:peak', await watch.stop());
  await sleep(SETTLE_SECONDS * 1000);
  return {
    imagesPerSecond: images / seconds,
    cpuSecondsPerImage: cpuSeconds / images,
    coresBusy: cpuSeconds / seconds,
    rssBeforeMb,
    rssAfterMb: rssMb(process.pid),
    peakRssMb: peakRssMb(),
    ...threads,
    ...before,
    ...peak,
    ...(await profileNow('mem:after', counters)),
  };
}

/**
 * Where the burst's CPU went, by thread, in CPU seconds per image (`/proc/self/task`, at 10 ms
 * ticks): the main thread (the event loop: engine, history, tasks' JS, GC's main-thread part),
 * libvips' worker threads, the busiest other thread (in the workflow the models' worker: one thread
 * running tfjs), the other threads (libuv's pool running sharp's pipelines and fs calls, V8's
 * helpers), and threads that ended during the burst (process CPU less the live threads'): mostly
 * libvips' workers, which its pool ends when idle, so libvips' share is `libvips` plus most of `ended`.
 */
function threadSplit(
  before: ReturnType<typeof threadCpuSeconds>,
  after: ReturnType<typeof threadCpuSeconds>,
  cpuSeconds: number,
  images: number,
): Record<string, number> {
  const split = { main: 0, libvips: 0, busiestOther: 0, otherThreads: 0, ended: 0 };
  let live = 0;
  for (const [tid, { name, seconds }] of after) {
    const used = seconds - (before.get(tid)?.seconds ?? 0);
    live += used;
    if (tid === process.pid) split.main += used;
    else if (name.startsWith('libvips')) split.libvips += used;
    else {
      split.otherThreads += used;
      split.busiestOther = Math.max(split.busiestOther, used);
    }
  }
  split.otherThreads -= split.busiestOther;
  split.ended = Math.max(0, cpuSeconds - live);
  return Object.fromEntries(Object.entries(split).map(([name, seconds]) => [`threadCpu:${name}`, seconds / images]));
}

/**
 * The ceiling: every rendition of the default set rendered with sharp alone, one sharp chain per
 * rendition as sharp's docs write it (read, decode, orient, resize, encode with the pipeline's
 * encoder settings; nothing written), `--baseline-renders` at once.
 */
async function baseline(files: string[]): Promise<PhaseResult> {
  configureSharp({ concurrency: DEFAULTS.sharpConcurrency });
  const jobs = renditionJobs(files);
  let next = 0;
  return measured(files.length, async () => {
    await Promise.all(
      Array.from({ length: Number(values['baseline-renders']) }, async () => {
        while (next < jobs.length) await renderWithSharp(jobs[next++]!);
      }),
    );
  });
}

type RenditionJob = { file: string; preset: RenditionPreset; format: RenditionFormat };

const renditionJobs = (files: string[]): RenditionJob[] =>
  files.flatMap((file) => DEFAULT_RENDITION_SETS.default!.flatMap((preset) => preset.formats.map((format) => ({ file, preset, format }))));

async function renderWithSharp({ file, preset, format }: RenditionJob): Promise<void> {
  const input = readFileSync(file);
  const source = await inspectImage(input, DEFAULT_IMAGE_LIMITS);
  // sharp's own cover crop (centred) for the thumbnail: the workflow crops around the focal point it found.
  const image = openImage(input, DEFAULT_IMAGE_LIMITS, { animated: source.pages > 1 && ANIMATED_FORMATS.has(format) })
    .autoOrient()
    .resize({ width: preset.width, height: preset.height, fit: preset.fit, withoutEnlargement: true });
  await applyEncoder(image, format, { format }).toBuffer();
}

/** The shutter settings a `--variant` may set for the workflow phase (the rest of its config is the bench's). */
const VARIANT_SETTINGS = ['MEMORY_IDLE_SECONDS', 'WORKFLOW_CONCURRENCY', 'WORKFLOW_RENDERS', 'SHARP_CONCURRENCY'] as const;

/** The whole workflow: upload, Inspect, Moderate, SmartCrop, Render (Map), Publish; history and events on disk. */
async function workflow(files: string[]): Promise<PhaseResult> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'shutter-bench-'));
  try {
    const idleSeconds = values['analysis-idle-seconds'];
    const config = loadConfig({
      SHUTTER_DATA_DIR: dataDir,
      WATCH_UPLOADS: 'No',
      SHUTTER_SEED_SAMPLES: 'No',
      ...(idleSeconds ? { ANALYSIS_WORKER_IDLE_SECONDS: idleSeconds } : {}),
      // A variant's settings: MEMORY_IDLE_SECONDS=0 is the "before" of giving memory back when idle;
      // WORKFLOW_CONCURRENCY, WORKFLOW_RENDERS and SHARP_CONCURRENCY the workflow's own knobs.
      ...Object.fromEntries(VARIANT_SETTINGS.filter((name) => process.env[name]).map((name) => [name, process.env[name]!])),
    });
    // The analyzer createPlatform would make, with a handle on its models' worker for the memory profile.
    const local = new LocalAnalyzer({
      limits: config.limits,
      faceModel: config.analysis.localFaceModel === 'tiny' ? 'tiny_face_detector' : 'ssd_mobilenetv1',
      workerIdleMs: config.analysis.workerIdleMs,
    });
    const models = local.models;
    const platform = createPlatform(config, { analyzer: new CachingAnalyzer(local, { entries: config.analysis.cacheEntries, ...(config.analysis.cacheDir ? { directory: config.analysis.cacheDir } : {}) }) });
    const workflows = createLocalWorkflows(platform, { watch: false, sweep: false, log: silentLogger });
    // Idle: the process before any analysis (the models not loaded yet), the figure RSS should come back to.
    const idleRssMb = rssMb(process.pid);
    // A running service has its analysis models loaded: one warm-up execution, untimed.
    const warmUp = await platform.storage.put('uploads', `warm-up/${path.basename(files[0]!)}`, readFileSync(files[0]!));
    await workflows.engine.settled((await workflows.startUpload(`warm-up/${path.basename(files[0]!)}`, warmUp.etag)).executionArn);
    const result = await measured(files.length, async () => {
      const arns: string[] = [];
      for (const file of files) {
        const key = `bench/${path.basename(file)}`;
        const { etag } = await platform.storage.put('uploads', key, readFileSync(file));
        arns.push((await workflows.startUpload(key, etag)).executionArn);
      }
      for (const arn of arns) {
        const done = await workflows.engine.settled(arn);
        if (done.status !== 'SUCCEEDED') throw new Error(`${arn} ${done.status}: ${done.error} ${done.cause}`);
      }
    }, models);
    // MEMORY_IDLE_SECONDS after the burst, memory goes back (core/memory/): RSS then, the models still loaded.
    const idle = workflows.idleMemory;
    const released = async (after: number) => {
      const deadline = Date.now() + config.memoryIdleMs + 60_000;
      while (idle.releases <= after && Date.now() < deadline) await sleep(100);
      return idle.last?.ms ?? NaN;
    };
    let rested: Record<string, number> = {};
    if (config.memoryIdleMs > 0) {
      const releaseMs = await released(0);
      rested = { rssRestedMb: rssMb(process.pid), releaseMs, releaseTrimMs: idle.last?.trimMs ?? NaN, ...(await profileNow('mem:rested', countersOf(models))) };
    }
    // The models' worker ends after its idle time: then what is left over idle (before any analysis),
    // once memory has gone back again (the worker's exit asks for a release), or SETTLE_SECONDS later without that.
    let unloaded: Record<string, number> = {};
    if (idleSeconds) {
      const deadline = Date.now() + (Number(idleSeconds) + 60) * 1000;
      while (models.running && Date.now() < deadline) await sleep(100);
      const releases = idle.releases;
      if (config.memoryIdleMs > 0) unloaded.releaseUnloadedMs = await released(releases);
      else await sleep(SETTLE_SECONDS * 1000);
      unloaded = { ...unloaded, rssUnloadedMb: rssMb(process.pid), ...(await profileNow('mem:unloaded', countersOf(models))) };
    }
    const splits = stateSeconds(workflows.engine, files.length + 1);
    await workflows.close();
    await platform.events.close();
    await models.close();
    return { ...result, ...splits, ...rested, ...unloaded, idleRssMb };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Seconds spent in each Task state per execution, from the history (Σ exit − Σ entry, so Map
 * iterations running side by side add up): where an execution's time goes.
 */
function stateSeconds(engine: AslWorkflowEngine, executions: number): Record<string, number> {
  const rows = engine.store.db
    .prepare(
      `SELECT COALESCE(json_extract(details, '$.stateEnteredEventDetails.name'), json_extract(details, '$.stateExitedEventDetails.name')) AS name,
              SUM(CASE WHEN type = 'TaskStateExited' THEN ts ELSE -ts END) AS ms
         FROM events WHERE type IN ('TaskStateEntered', 'TaskStateExited') GROUP BY name`,
    )
    .all() as Array<{ name: string; ms: number }>;
  return Object.fromEntries(rows.map((row) => [`state:${row.name}`, Number(row.ms) / 1000 / executions]));
}

/**
 * Where an upload's CPU goes: each task's `run` called one upload at a time (nothing else running,
 * so process CPU time is that task's, libvips' threads and the analysis worker included), against
 * sharp alone rendering the same renditions one at a time. Opt-in (`--split`): a profile, not a target.
 */
async function split(files: string[]): Promise<Record<string, number>> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'shutter-bench-split-'));
  try {
    const config = loadConfig({ SHUTTER_DATA_DIR: dataDir, WATCH_UPLOADS: 'No', SHUTTER_SEED_SAMPLES: 'No' });
    const platform = createPlatform(config);
    const deps = taskDepsFrom(platform, { log: silentLogger });
    const signal = new AbortController().signal;
    const totals: Record<string, number> = {};
    const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      const cpu = process.cpuUsage();
      const result = await work();
      const used = process.cpuUsage(cpu);
      totals[name] = (totals[name] ?? 0) + (used.user + used.system) / 1e6;
      return result;
    };
    const one = async (file: string, prefix: string) => {
      const key = `${prefix}/${path.basename(file)}`;
      const { etag } = await platform.storage.put('uploads', key, readFileSync(file));
      const ids = { executionId: `split:${key}`, imageId: key.replace(/\W/g, '_') };
      const source = { bucket: 'uploads', key, etag };
      const inspection = await timed('inspect', () => inspect.run({ ...ids, source }, deps, { signal }));
      await timed('moderate', () => moderate.run({ ...ids, source }, deps, { signal }));
      const size = { width: inspection.width, height: inspection.height };
      const focus = await timed('smartCrop', () => smartCrop.run({ ...ids, source, size }, deps, { signal }));
      for (const preset of inspection.renditions) {
        await timed('render', () => renderRenditions.run({ ...ids, source, size, focus: focus.focus, preset }, deps, { signal }));
      }
    };
    await one(files[0]!, 'warm-up');
    for (const key of Object.keys(totals)) delete totals[key];
    for (const file of files) await one(file, 'split');
    configureSharp({ concurrency: DEFAULTS.sharpConcurrency });
    await timed('sharpAlone', async () => {
      for (const file of files) for (const job of renditionJobs([file])) await renderWithSharp(job);
    });
    await platform.events.close();
    return Object.fromEntries(Object.entries(totals).map(([name, seconds]) => [`cpu:${name}`, seconds / files.length]));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The engine alone: the image ASL with tasks that answer at once; what is left is interpretation and history. */
async function engineOverhead(executions: number): Promise<{ msPerExecution: number; eventsPerExecution: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shutter-bench-engine-'));
  const preset = DEFAULT_RENDITION_SETS.default![0]!;
  // One answer per task: a new task does not compile until it has one here too.
  const answers: Record<TaskName, LocalFunction> = {
    inspect: async () => ({ type: 'jpeg', contentType: 'image/jpeg', width: 4000, height: 3000, frames: 1, hasAlpha: false, orientation: 1, bytes: 1, hash: 'sha256:0', renditions: DEFAULT_RENDITION_SETS.default }),
    moderate: async () => ({ status: 'unavailable', labels: [], minConfidence: 75, analyzer: 'none' }),
    quarantine: async () => ({}),
    'smart-crop': async () => ({ focus: { x: 0.5, y: 0.5 }, basis: 'centre', faces: 0, analyzer: 'none' }),
    'render-renditions': async () => ({ preset: preset.name, renditions: [] }),
    publish: async () => ({ manifest: { bucket: 'renditions', key: 'x' }, renditions: 0, events: 0 }),
    'handle-failure': async () => ({}),
    'list-uploads': async () => ({ objects: [], cursor: '' }),
    'start-image-workflow': async () => ({}),
  };
  const engine = new AslWorkflowEngine({
    store: path.join(dir, 'history.db'),
    workflows: { image: { definition: IMAGE_WORKFLOW_ASL, functions: answers } },
    concurrency: WORKFLOW.concurrency,
  });
  try {
    const input = (index: number) => ({ imageId: `img_${index}`, source: { bucket: 'uploads', key: `k${index}.jpg`, etag: '"e"' }, set: 'default', review: false });
    await engine.settled((await engine.start('image', { name: 'warm-up', input: input(-1) })).executionArn);
    const started = performance.now();
    const arns: string[] = [];
    for (let index = 0; index < executions; index++) arns.push((await engine.start('image', { name: `e${index}`, input: input(index) })).executionArn);
    for (const arn of arns) await engine.settled(arn);
    const ms = (performance.now() - started) / executions;
    const events = engine.store.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number };
    return { msPerExecution: ms, eventsPerExecution: Number(events.n) / (executions + 1) };
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The environment `shutter` runs under (bin/shutter.ts's shebang): glibc's tunables, and its Node
 * flags (V8's young-generation cap) as NODE_OPTIONS, so a variant can unset them (`NODE_OPTIONS=`).
 */
const SHUTTER_ENV = (() => {
  const { env, flags } = shebangOf(readFileSync(path.join(ROOT, 'bin', 'shutter.ts'), 'utf8'));
  const v8 = flags.filter((flag) => flag.startsWith('--max-'));
  return { ...env, ...(v8.length ? { NODE_OPTIONS: v8.join(' ') } : {}) };
})();

/** `name:K=V K=V` → its name and environment (values may hold commas: MALLOC_CONF's do). */
function variantOf(spec: string): { name: string; env: Record<string, string> } {
  const [name, settings = ''] = spec.split(/:(.*)/s);
  const env = Object.fromEntries(settings.split(/\s+/).filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  return { name: name!, env };
}

/** Runs one phase in a child process so each reports its own memory. */
function child(phase: string, dir: string, env: Record<string, string> = {}): Record<string, number> {
  const script = process.argv[1]!;
  const args = [String(count), '--phase', phase, '--photos', dir, '--executions', values.executions!, '--baseline-renders', values['baseline-renders']!];
  if (values['analysis-idle-seconds']) args.push('--analysis-idle-seconds', values['analysis-idle-seconds']);
  const result = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', script, ...args], {
    encoding: 'utf8',
    // As `shutter serve` runs, for both sides; a variant's `KEY=` (empty) unsets KEY (a "before" of a setting).
    env: Object.fromEntries(Object.entries({ ...process.env, ...SHUTTER_ENV, ...env }).filter(([, value]) => value !== '')),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`phase ${phase} failed (${result.status})`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function main(): Promise<void> {
  if (values.phase) {
    const files = filesOf(values.photos!, count);
    let result: Record<string, number>;
    if (values.phase === 'baseline') result = await baseline(files);
    else if (values.phase === 'workflow') result = await workflow(files);
    else if (values.phase === 'split') result = await split(files);
    else result = { ...(await engineOverhead(Number(values.executions))), peakRssMb: peakRssMb() };
    console.log(JSON.stringify(result));
    return;
  }
  let dir: string;
  let input: string;
  if (values.uniform) {
    dir = await uniformPhotos(count, Number(values.uniform));
    input = `${count} uploads of ${values.uniform} MP JPEG`;
  } else {
    const mix = await realisticMix(count, values.smoke ? { scale: 0.1 } : {});
    dir = path.dirname(mix[0]!.file);
    const sizes = mix.map((item) => item.megapixels).sort((a, b) => a - b);
    const kinds = new Map<string, number>();
    for (const item of mix) {
      const kind = item.animated ? `animated ${item.format}` : item.format;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    const formats = [...kinds].map(([name, n]) => `${n} ${name}`);
    input = `${count} uploads, ${sizes[0]}–${sizes.at(-1)} MP (median ${sizes[Math.floor(sizes.length / 2)]}): ${formats.join(', ')}`;
  }
  const rounds = Number(values.rounds);
  const runs: Run[] = [];
  const started = performance.now();
  const variants = values.variant!.map(variantOf);
  for (let round = 0; round < rounds; round++) {
    // The order rotates, so a machine getting busier or quieter hits every phase alike.
    const phases: Array<[string, () => Record<string, number>]> = [
      ['baseline', () => child('baseline', dir)],
      ['workflow', () => child('workflow', dir)],
      ...variants.map(({ name, env }): [string, () => Record<string, number>] => [`variant:${name}`, () => child('workflow', dir, env)]),
    ];
    const order = [...phases.slice(round % phases.length), ...phases.slice(0, round % phases.length)];
    const loadAtStart = loadAverage();
    const results = Object.fromEntries(order.map(([name, run]) => [name, run()]));
    runs.push({
      first: order[0]![0],
      loadAverage: [loadAtStart, loadAverage()],
      baseline: results.baseline!,
      workflow: results.workflow!,
      variants: Object.fromEntries(variants.map(({ name }) => [name, results[`variant:${name}`]!])),
    });
  }
  const roundsMinutes = (performance.now() - started) / 60_000;
  const engine = child('engine', dir);
  const cpuSplit = values.split ? child('split', dir) : undefined;
  const report = {
    input,
    renditionsPerPhoto: DEFAULT_RENDITION_SETS.default!.reduce((sum, preset) => sum + preset.formats.length, 0),
    baselineRenders: Number(values['baseline-renders']),
    cores: os.availableParallelism(),
    loadAverage: loadAverage(),
    roundsMinutes: Math.round(roundsMinutes * 10) / 10,
    rounds: runs,
    ratio: runs.map((run) => run.workflow.imagesPerSecond! / run.baseline.imagesPerSecond!),
    variantRatios: Object.fromEntries(variants.map(({ name }) => [name, runs.map((run) => run.variants[name]!.imagesPerSecond! / run.baseline.imagesPerSecond!)])),
    engine,
    ...(cpuSplit ? { cpuSplit } : {}),
  };
  console.log(JSON.stringify(report, null, 2));
  console.error(`\n${summaryOf(runs, roundsMinutes)}`);
  // The memory profiles of the last round, as tables (stderr: stdout is the report's JSON).
  const last = runs.at(-1)!;
  const profiled: Array<[string, Record<string, number>]> = [['sharp alone', last.baseline], ['workflow', last.workflow], ...Object.entries(last.variants)];
  for (const [name, figures] of profiled) {
    const idle = figures.idleRssMb === undefined ? '' : ` (idle, before any analysis: ${figures.idleRssMb.toFixed(0)} MB)`;
    const tables = profileTables({
      before: unflatten('mem:before', figures),
      peak: unflatten('mem:peak', figures),
      [`${SETTLE_SECONDS} s after`]: unflatten('mem:after', figures),
      ...(figures['mem:rested:map:rss'] !== undefined ? { 'idle, memory given back': unflatten('mem:rested', figures) } : {}),
      ...(figures['mem:unloaded:map:rss'] !== undefined ? { 'models unloaded': unflatten('mem:unloaded', figures) } : {}),
    });
    console.error(`\nmemory profile, ${name}${idle}; peak RSS (VmHWM) ${figures.peakRssMb} MB:\n${tables}`);
  }
  mkdirSync(path.join(ROOT, '.cache', 'bench'), { recursive: true });
  writeFileSync(path.join(ROOT, '.cache', 'bench', 'workflow-bulk-last.json'), JSON.stringify(report, null, 2));
  if (values.json) writeFileSync(values.json, JSON.stringify({ rows: rowsOf(report.input, runs, engine) }, null, 2));
}

/** The issue's targets for the bulk workflow, each against the figure it bounds. */
const TARGETS = { ratio: 0.8, coresBusy: 1.8, peakRssMb: 800, rssAfterOverBefore: 1.25, unloadedOverIdle: 1.2 };

/** One round: each phase's figures, which went first, the load average (1, 5, 15 min) at its start and end. */
type Run = {
  first: string;
  loadAverage: [number[], number[]];
  baseline: Record<string, number>;
  workflow: Record<string, number>;
  variants: Record<string, Record<string, number>>;
};

/** The 1-, 5- and 15-minute load averages, one decimal. */
const loadAverage = () => os.loadavg().map((value) => Math.round(value * 10) / 10);

/** The figure of record in a few lines: the ratio's median and range over the rounds, each round's ratio, order and load. */
function summaryOf(runs: Run[], minutes: number): string {
  const line = (name: string, ratios: number[]) => {
    const { min, median, max } = stats(ratios);
    const met = median >= TARGETS.ratio ? 'met' : 'NOT met';
    return `${name} / sharp alone: median ${median.toFixed(2)}× (range ${min.toFixed(2)}–${max.toFixed(2)}) over ${ratios.length} round(s); target ≥ ${TARGETS.ratio}×: ${met}`;
  };
  const perRound = runs.map(
    (run, index) =>
      `  round ${index + 1} (${run.first} first, load ${run.loadAverage[0].join(' ')} → ${run.loadAverage[1].join(' ')}): ` +
      [['workflow', run.workflow] as const, ...Object.entries(run.variants)]
        .map(([name, figures]) => `${name} ${(figures.imagesPerSecond! / run.baseline.imagesPerSecond!).toFixed(2)}× (CPU ${(figures.cpuSecondsPerImage! / run.baseline.cpuSecondsPerImage!).toFixed(2)}×)`)
        .join(', '),
  );
  const byThread = (figures: Record<string, number>) =>
    ['main', 'libvips', 'busiestOther', 'otherThreads', 'ended'].map((name) => `${name} ${(figures[`threadCpu:${name}`] ?? NaN).toFixed(2)}`).join(', ');
  const last = runs.at(-1)!;
  return [
    `bulk workflow, ${runs.length} round(s) in ${minutes.toFixed(1)} min:`,
    line('workflow', runs.map((run) => run.workflow.imagesPerSecond! / run.baseline.imagesPerSecond!)),
    ...Object.keys(runs[0]?.variants ?? {}).map((name) => line(name, runs.map((run) => run.variants[name]!.imagesPerSecond! / run.baseline.imagesPerSecond!))),
    ...perRound,
    `  CPU s per image by thread, last round: sharp alone: ${byThread(last.baseline)}; workflow: ${byThread(last.workflow)}`,
  ].join('\n');
}

/** The suite's rows (bench/report.ts): throughput, CPU and cores against the ceiling, memory, engine overhead. */
function rowsOf(input: string, runs: Run[], engine: Record<string, number>): Row[] {
  const of = (side: 'baseline' | 'workflow', figure: string) => stats(runs.map((run) => run[side][figure]!));
  const ratio = (figure: string) => stats(runs.map((run) => run.workflow[figure]! / run.baseline[figure]!));
  const throughput = ratio('imagesPerSecond');
  const cores = of('workflow', 'coresBusy');
  const peak = of('workflow', 'peakRssMb');
  const after = stats(runs.map((run) => run.workflow.rssAfterMb! / run.workflow.rssBeforeMb!));
  const unloaded = stats(runs.map((run) => (run.workflow.rssUnloadedMb ?? NaN) / run.workflow.idleRssMb!));
  const common = { group: 'bulk', scenario: input };
  return [
    {
      ...common,
      subject: 'whole workflow (local engine)',
      subjectValue: of('workflow', 'imagesPerSecond'),
      baseline: 'same renditions, sharp alone',
      baselineValue: of('baseline', 'imagesPerSecond'),
      unit: 'img/s',
      ratio: throughput,
      target: `≥ ${TARGETS.ratio}×`,
      met: throughput.median >= TARGETS.ratio,
      note: `${runs.length} round(s), the side going first alternating; load average ${runs.map((run) => run.loadAverage[0][0]).join(', ')} at each round's start`,
    },
    {
      ...common,
      subject: 'CPU per image, whole workflow',
      subjectValue: of('workflow', 'cpuSecondsPerImage'),
      baseline: 'sharp alone',
      baselineValue: of('baseline', 'cpuSecondsPerImage'),
      unit: 'CPU s/img',
      ratio: ratio('cpuSecondsPerImage'),
    },
    {
      ...common,
      subject: 'cores busy, whole workflow',
      subjectValue: cores,
      baseline: 'sharp alone',
      baselineValue: of('baseline', 'coresBusy'),
      unit: 'cores',
      ratio: ratio('coresBusy'),
      target: `≥ ${TARGETS.coresBusy} of ${os.availableParallelism()}`,
      met: cores.median >= TARGETS.coresBusy,
    },
    {
      ...common,
      subject: 'peak RSS, whole workflow',
      subjectValue: peak,
      baseline: 'sharp alone',
      baselineValue: of('baseline', 'peakRssMb'),
      unit: 'MB',
      ratio: ratio('peakRssMb'),
      target: `≤ ${TARGETS.peakRssMb} MB`,
      met: peak.max <= TARGETS.peakRssMb,
    },
    {
      ...common,
      subject: `RSS ${SETTLE_SECONDS} s after the burst, whole workflow`,
      subjectValue: of('workflow', 'rssAfterMb'),
      baseline: 'RSS before the burst (models loaded)',
      baselineValue: of('workflow', 'rssBeforeMb'),
      unit: 'MB',
      ratio: after,
      target: `≤ ${TARGETS.rssAfterOverBefore}× before`,
      met: after.median <= TARGETS.rssAfterOverBefore,
    },
    ...(runs[0]?.workflow.rssRestedMb !== undefined
      ? [
          {
            ...common,
            subject: 'RSS once idle memory went back (MEMORY_IDLE_SECONDS after the burst), models loaded',
            subjectValue: of('workflow', 'rssRestedMb'),
            baseline: 'RSS before the burst (models loaded)',
            baselineValue: of('workflow', 'rssBeforeMb'),
            unit: 'MB',
            ratio: stats(runs.map((run) => run.workflow.rssRestedMb! / run.workflow.rssBeforeMb!)),
            note: `the release took ${of('workflow', 'releaseMs').median.toFixed(0)} ms of the main thread (the trim ${of('workflow', 'releaseTrimMs').median.toFixed(0)} ms)`,
          },
        ]
      : []),
    ...(runs[0]?.workflow.rssUnloadedMb !== undefined
      ? [
          {
            ...common,
            subject: `RSS once the models' worker ended (${values['analysis-idle-seconds']} s idle) and memory went back, whole workflow`,
            subjectValue: of('workflow', 'rssUnloadedMb'),
            baseline: 'idle: the process before any analysis',
            baselineValue: of('workflow', 'idleRssMb'),
            unit: 'MB',
            ratio: unloaded,
            target: `≤ ${TARGETS.unloadedOverIdle}× idle`,
            met: unloaded.median <= TARGETS.unloadedOverIdle,
          },
        ]
      : []),
    {
      group: 'bulk',
      scenario: `engine alone: ${values.executions} executions of the image ASL, tasks answering at once`,
      subject: 'interpreter + SQLite history',
      subjectValue: stats([engine.msPerExecution!]),
      unit: 'ms/execution',
      note: `${Math.round(engine.eventsPerExecution!)} history events an execution; peak RSS ${engine.peakRssMb} MB`,
    },
    ...Object.keys(runs[0]?.variants ?? {}).flatMap((name): Row[] => {
      const variant = (figure: string) => stats(runs.map((run) => run.variants[name]![figure]!));
      return [
        {
          ...common,
          subject: `whole workflow, ${name}`,
          subjectValue: variant('imagesPerSecond'),
          baseline: 'same renditions, sharp alone',
          baselineValue: of('baseline', 'imagesPerSecond'),
          unit: 'img/s',
          ratio: stats(runs.map((run) => run.variants[name]!.imagesPerSecond! / run.baseline.imagesPerSecond!)),
          target: `≥ ${TARGETS.ratio}×`,
        },
        {
          ...common,
          subject: `peak RSS, whole workflow, ${name}`,
          subjectValue: variant('peakRssMb'),
          baseline: 'whole workflow as shutter runs',
          baselineValue: peak,
          unit: 'MB',
          ratio: stats(runs.map((run) => run.variants[name]!.peakRssMb! / run.workflow.peakRssMb!)),
          target: `≤ ${TARGETS.peakRssMb} MB`,
          note:
            `${SETTLE_SECONDS} s after the burst: ${variant('rssAfterMb').median.toFixed(0)} MB (before it ${variant('rssBeforeMb').median.toFixed(0)} MB)` +
            (runs[0]!.variants[name]!.rssUnloadedMb !== undefined
              ? `; once the models' worker ended: ${variant('rssUnloadedMb').median.toFixed(0)} MB, ${stats(runs.map((run) => run.variants[name]!.rssUnloadedMb! / run.variants[name]!.idleRssMb!)).median.toFixed(2)}× idle (${variant('idleRssMb').median.toFixed(0)} MB)`
              : ''),
        },
      ];
    }),
  ];
}

await main();

/**
 * Bulk workflow bench: images per second for N uploads through the whole workflow (local
 * engine, the default rendition set: 4 presets × AVIF/WebP/JPEG), side by side with the
 * in-process ceiling of rendering the same presets with sharp alone, in the same run, as a
 * ratio; the engine's own overhead per execution (the image ASL with tasks that return at once,
 * history written as usual); and each phase's peak RSS (each phase runs in its own process).
 *
 *   npm run bench:workflow -- [N=20] [--megapixels 12] [--rounds 1] [--smoke] [--json <file>]
 *
 * Baseline and workflow alternate round by round so machine drift hits both alike. `npm run
 * bench` runs it too (`--json`: its rows join the suite's table; `--smoke`: 2 small photos).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { AslWorkflowEngine, type LocalFunction } from '../workflows/engine/asl-workflow-engine.js';
import { createPlatform } from '../core/compose.js';
import { loadConfig } from '../core/config.js';
import { DEFAULTS, WORKFLOW } from '../core/limits.js';
import { configureSharp, DEFAULT_IMAGE_LIMITS, openImage } from '../core/pipeline/sharp-factory.js';
import { DEFAULT_RENDITION_SETS } from '../core/renditions.js';
import { stats } from './harness.js';
import type { Row } from './report.js';
import type { TaskName } from '../tasks/task-names.js';
import { IMAGE_WORKFLOW_ASL } from '../workflows/asl/image-workflow.asl.js';
import { createLocalWorkflows } from '../workflows/local-runtime.js';
import { silentLogger } from '../core/observability/logger.js';

// Run from the repository root (npm scripts are).
const ROOT = process.cwd();
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    megapixels: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '1' },
    phase: { type: 'string' },
    photos: { type: 'string' },
    executions: { type: 'string', default: '300' },
    smoke: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
// A smoke run (the test command's) only proves the bench still runs: 2 small photos.
if (values.smoke) Object.assign(values, { megapixels: '0.3', rounds: '1', executions: '20' });
const count = Number(positionals[0] ?? (values.smoke ? 2 : 20));

/** N distinct photos of about `megapixels` MP, made from the samples, cached between runs. */
async function photos(n: number, megapixels: number): Promise<string> {
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
    .filter((name) => name.endsWith('.jpg'))
    .sort()
    .slice(0, n)
    .map((name) => path.join(dir, name));
}

/**
 * The ceiling: the default set's presets × formats rendered with sharp alone (read, decode,
 * resize, encode; nothing written), `maxConcurrentRenders` at once.
 */
async function baseline(files: string[]): Promise<number> {
  configureSharp({ concurrency: DEFAULTS.sharpConcurrency });
  const presets = DEFAULT_RENDITION_SETS.default!;
  const jobs = files.flatMap((file) => presets.map((preset) => ({ file, preset })));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    // As many renders at once as the on-demand path allows: libvips' own best setting on this machine.
    Array.from({ length: DEFAULTS.maxConcurrentRenders }, async () => {
      while (next < jobs.length) {
        const { file, preset } = jobs[next++]!;
        const input = readFileSync(file);
        for (const format of preset.formats) {
          const options: Record<string, unknown> = { quality: DEFAULTS.quality[format] };
          if (format === 'avif') options.effort = DEFAULTS.avifEffort;
          if (format === 'webp') options.effort = DEFAULTS.webpEffort;
          // The pipeline's own sharp factory: same decoder settings, so the ratio is the workflow's cost.
          await openImage(input, DEFAULT_IMAGE_LIMITS)
            .autoOrient()
            .resize({ width: preset.width, height: preset.height, fit: preset.fit, withoutEnlargement: true })
            .toFormat(format, options)
            .toBuffer();
        }
      }
    }),
  );
  return files.length / ((performance.now() - started) / 1000);
}

/** The whole workflow: upload, Inspect, Moderate, SmartCrop, Render (Map), Publish; history and events on disk. */
async function workflow(files: string[]): Promise<number> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'shutter-bench-'));
  try {
    const config = loadConfig({ SHUTTER_DATA_DIR: dataDir, WATCH_UPLOADS: 'No', SHUTTER_SEED_SAMPLES: 'No' });
    const platform = createPlatform(config);
    const workflows = createLocalWorkflows(platform, { watch: false, sweep: false, log: silentLogger });
    // A running service has its analysis models loaded: one warm-up execution, untimed.
    const warmUp = await platform.storage.put('uploads', 'warm-up/photo.jpg', readFileSync(files[0]!));
    await workflows.engine.settled((await workflows.startUpload('warm-up/photo.jpg', warmUp.etag)).executionArn);
    const started = performance.now();
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
    const rate = files.length / ((performance.now() - started) / 1000);
    await workflows.close();
    await platform.events.close();
    return rate;
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

/** Runs one phase in a child process so each reports its own peak RSS. */
function child(phase: string, dir: string): Record<string, number> {
  const script = process.argv[1]!;
  const result = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', script, String(count), '--phase', phase, '--photos', dir, '--executions', values.executions!], {
    encoding: 'utf8',
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
    if (values.phase === 'baseline') result = { imagesPerSecond: await baseline(files) };
    else if (values.phase === 'workflow') result = { imagesPerSecond: await workflow(files) };
    else result = await engineOverhead(Number(values.executions));
    console.log(JSON.stringify({ ...result, peakRssMb: peakRssMb() }));
    return;
  }
  const megapixels = Number(values.megapixels);
  const dir = await photos(count, megapixels);
  const rounds = Number(values.rounds);
  const runs: Array<{ baseline: Record<string, number>; workflow: Record<string, number> }> = [];
  for (let round = 0; round < rounds; round++) runs.push({ baseline: child('baseline', dir), workflow: child('workflow', dir) });
  const engine = child('engine', dir);
  const ratios = runs.map((run) => run.workflow.imagesPerSecond! / run.baseline.imagesPerSecond!);
  const report = {
    photos: count,
    megapixels,
    renditionsPerPhoto: DEFAULT_RENDITION_SETS.default!.reduce((sum, preset) => sum + preset.formats.length, 0),
    cores: os.availableParallelism(),
    loadAverage: os.loadavg().map((value) => Math.round(value * 10) / 10),
    rounds: runs,
    ratio: ratios,
    engine,
  };
  console.log(JSON.stringify(report, null, 2));
  writeFileSync(path.join(ROOT, '.cache', 'bench-workflow-last.json'), JSON.stringify(report, null, 2));
  if (values.json) writeFileSync(values.json, JSON.stringify({ rows: rowsOf(report, runs, engine) }, null, 2));
}

/** The suite's rows (bench/report.ts): throughput against the ceiling, engine overhead, memory. */
function rowsOf(report: { photos: number; megapixels: number; renditionsPerPhoto: number; ratio: number[] }, runs: Array<{ baseline: Record<string, number>; workflow: Record<string, number> }>, engine: Record<string, number>): Row[] {
  const scenario = `${report.photos} uploads of ${report.megapixels} MP, ${report.renditionsPerPhoto} renditions each`;
  const median = stats(report.ratio).median;
  return [
    {
      group: 'bulk',
      scenario,
      subject: 'whole workflow (local engine)',
      subjectValue: stats(runs.map((run) => run.workflow.imagesPerSecond!)),
      baseline: 'same renditions, sharp alone',
      baselineValue: stats(runs.map((run) => run.baseline.imagesPerSecond!)),
      unit: 'img/s',
      ratio: stats(report.ratio),
      target: '≥ 0.8×',
      met: median >= 0.8,
    },
    {
      group: 'bulk',
      scenario,
      subject: 'peak RSS, whole workflow',
      subjectValue: stats(runs.map((run) => run.workflow.peakRssMb!)),
      baseline: 'sharp alone',
      baselineValue: stats(runs.map((run) => run.baseline.peakRssMb!)),
      unit: 'MB',
      ratio: stats(runs.map((run) => run.workflow.peakRssMb! / run.baseline.peakRssMb!)),
    },
    {
      group: 'bulk',
      scenario: `engine alone: ${values.executions} executions of the image ASL, tasks answering at once`,
      subject: 'interpreter + SQLite history',
      subjectValue: stats([engine.msPerExecution!]),
      unit: 'ms/execution',
      note: `${Math.round(engine.eventsPerExecution!)} history events an execution; peak RSS ${engine.peakRssMb} MB`,
    },
  ];
}

await main();

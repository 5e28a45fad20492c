/**
 * The whole bench in one command: every scenario runs shutter and its baselines side by side in
 * the same run, alternating round by round, and reports ratios with min/median/max.
 *
 *   npm run bench                     full run: installs the peers (bench/setup.sh), writes
 *                                     bench/results/latest.{json,svg,html}
 *   npm run bench -- --smoke          tiny inputs, one round, no peers (CI: proves it still runs);
 *                                     writes .cache/bench/results/smoke.*
 *   npm run bench -- --only ceiling,shutter   some scenarios only (ceiling, http, shutter, cache-hit,
 *                                     small-images, cold-start, memory, serve-memory, bulk, analysis)
 *   --jobs 12mp-avif,gif-anim         some jobs only (see bench/jobs.ts; the shutter and memory
 *                                     scenarios keep the jobs they need)
 *   --peers / --no-peers              force the Go + libvips and thumbor peers on or off
 * Partial runs (--only, --jobs) write bench/results/partial.* instead of latest.*.
 *
 * The bulk scenario runs bench/workflow-bulk.ts in its own process (`--json <file>`): the rows
 * it writes as `{ "rows": Row[] }` (see bench/report.ts) join the table, its printed output is
 * attached.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { App } from '../api/image-app.js';
import { createApp } from '../console/server/app.js';
import { createPlatform, type Platform } from '../core/compose.js';
import { loadConfig } from '../core/config.js';
import type { BenchContext } from './context.js';
import { prepareInputs, ROOT } from './inputs.js';
import { JOBS, scaled, type Job } from './jobs.js';
import { machine, markdownTable, writeReport, type Report, type Row } from './report.js';
import { analysisLoop } from './scenarios/analysis-loop.js';
import { analysisServed } from './scenarios/analysis-served.js';
import { ceiling } from './scenarios/ceiling.js';
import { coldStart } from './scenarios/cold-start.js';
import { memory, serveMemory } from './scenarios/memory.js';
import { smallImages } from './scenarios/small-images.js';
import { peers } from './scenarios/peers.js';
import { cacheHits, shutterScenarios } from './scenarios/shutter.js';
import { dataDirFor } from './servers.js';

const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const onlyArg = argv.find((arg) => arg.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1]! : argv[argv.indexOf(onlyArg) + 1]!).split(',') : undefined;
const withPeers = argv.includes('--peers') || (!smoke && !argv.includes('--no-peers'));
const jobsArg = argv.find((arg) => arg.startsWith('--jobs'));
const onlyJobs = jobsArg ? (jobsArg.includes('=') ? jobsArg.split('=')[1]! : argv[argv.indexOf(jobsArg) + 1]!).split(',') : undefined;
const wanted = (name: string) => !only || only.includes(name);

if (withPeers && !smoke) {
  // Idempotent: installs libvips-tools, the Go + libvips peer and thumbor the first time only.
  const setup = spawnSync('bash', [path.join(ROOT, 'bench', 'setup.sh')], { stdio: 'inherit' });
  if (setup.status !== 0) console.error('bench/setup.sh failed: peers that are missing will be reported as skipped');
}

const concurrency = 2;
const inputs = await prepareInputs({ smoke, copies: concurrency });
const dataDir = await dataDirFor(inputs.dir);
const vipsVersion = spawnSync('vips', ['--version'], { encoding: 'utf8' }).stdout?.trim();
const report: Report = {
  started: new Date().toISOString(),
  mode: smoke ? 'smoke' : 'full',
  machine: machine(sharp.versions as Record<string, string>, vipsVersion || undefined),
  // The load average at start and end: on a shared machine, what to read the ratios against.
  settings: { concurrency, rounds: smoke ? 1 : 5, peers: withPeers, loadAverageAtStart: loadAverage() },
  rows: [],
  skipped: [],
  attachments: [],
};
const inProcess: { platform: Platform; app: App }[] = [];
const heavy = (job: Job) => job.format === 'avif' || job.input === 'photo-12mp.jpg';
const ctx: BenchContext = {
  smoke,
  rounds: smoke ? 1 : 5,
  concurrency,
  inputs,
  dataDir,
  jobs: JOBS.filter((job) => !onlyJobs || onlyJobs.includes(job.id)).map((job) => scaled(job, smoke)),
  // Sized so that a full run stays near an hour on a busy 2-core machine; an animated GIF is ~1 s of CPU.
  count: (job) => (smoke ? 4 : job.animated || job.format === 'avif' ? 8 : heavy(job) ? 12 : 24),
  peers: withPeers,
  report,
  add: (row: Row) => {
    report.rows.push(row);
  },
  skip: (what, why) => {
    report.skipped.push({ what, why });
    console.error(`[bench] skipped ${what}: ${why}`);
  },
  log: (message) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`),
  shutter: (env = {}) => {
    const platform = createPlatform(loadConfig({ SHUTTER_DATA_DIR: dataDir, SHUTTER_SEED_SAMPLES: 'No', ...env }));
    const app = createApp(platform);
    app.ready = true;
    inProcess.push({ platform, app });
    return { platform, app };
  },
};

const scenarios: Array<[string, (ctx: BenchContext) => Promise<void>]> = [
  ['ceiling', ceiling],
  ['http', peers],
  ['shutter', shutterScenarios],
  ['cache-hit', cacheHits],
  ['small-images', smallImages],
  ['cold-start', coldStart],
  ['memory', memory],
  ['serve-memory', serveMemory],
  ['bulk', bulk],
  [
    'analysis',
    async (ctx) => {
      await analysisServed(ctx);
      await analysisLoop(ctx);
    },
  ],
];
for (const [name, run] of scenarios) if (wanted(name)) await run(ctx);
for (const { platform, app } of inProcess) {
  await app.flush();
  await platform.events.close();
  await platform.analyzer.close?.();
}

report.finished = new Date().toISOString();
report.settings.loadAverageAtEnd = loadAverage();
const dir = smoke ? path.join(ROOT, '.cache', 'bench', 'results') : path.join(ROOT, 'bench', 'results');
// A partial run (--only, --jobs) never replaces the full run's latest.*.
const files = await writeReport(report, dir, only || onlyJobs ? 'partial' : undefined);
console.log(`\nshutter bench (${report.mode}), ${report.machine.cpu}, ${report.machine.cores} cores; concurrency ${concurrency}, ${ctx.rounds} rounds; load average ${String(report.settings.loadAverageAtStart)} at start, ${String(report.settings.loadAverageAtEnd)} at end\n`);
console.log(markdownTable(report.rows));
if (report.skipped.length) console.log(`\nSkipped:\n${report.skipped.map((s) => `- ${s.what}: ${s.why}`).join('\n')}`);
console.log(`\nWritten: ${Object.values(files).map((file) => path.relative(ROOT, file)).join(', ')}`);
process.exit(0);

/**
 * The bulk workflow (`bench/workflow-bulk.ts`, also `npm run bench:workflow`), in its own
 * process: its rows join the table, its printed report is attached.
 */
async function bulk(ctx: BenchContext): Promise<void> {
  const entry = path.join(ROOT, 'bench', 'workflow-bulk.ts');
  const jsonFile = path.join(ROOT, '.cache', 'bench', 'bulk-rows.json');
  await rm(jsonFile, { force: true });
  ctx.log('bulk: bench/workflow-bulk.ts');
  const args = [path.join(ROOT, 'scripts', 'run-ts.mjs'), entry, ...(ctx.smoke ? ['--smoke'] : []), '--json', jsonFile];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`bench/workflow-bulk.ts exited with ${code}`))));
  });
  const written = JSON.parse(await readFile(jsonFile, 'utf8')) as { rows: Row[] };
  for (const row of written.rows) ctx.add(row);
  ctx.report.attachments.push({ name: 'bench/workflow-bulk.ts output', text: output });
}

/** The 1-, 5- and 15-minute load averages, as `uptime` prints them. */
function loadAverage(): string {
  return os.loadavg().map((value) => value.toFixed(2)).join(' ');
}

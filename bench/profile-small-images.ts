/**
 * Where a small image's time goes (issue 19): the small-images scenario's request (2 MP JPEG →
 * 400 px JPEG, shutter's handler in process) and raw sharp reading the same file, each run alone,
 * counting per image what raw sharp does not do: the asynchronous resources created (each
 * `FSREQCALLBACK`/`FSREQPROMISE` is a trip through libuv's thread pool, as is each sharp call), and
 * CPU per image, this process's (libvips' threads included). Not a benchmark of record (that is
 * `npm run bench -- --only small-images`): a microscope for one request.
 *
 *   node scripts/run-ts.mjs bench/profile-small-images.ts [inFlight=2] [count=300] [variant]
 *   TINY=1 ROUNDS=5 node scripts/run-ts.mjs bench/profile-small-images.ts 1 1500   # shutter's own cost per request
 *   node --cpu-prof --cpu-prof-dir=.cache/prof scripts/run-ts.mjs bench/profile-small-images.ts 2 600 shutter
 *
 * Besides shutter as it runs, three ablations put a figure on the access record and the request's
 * log line (both kept: they are features, not waste).
 *
 * `BEFORE=<another checkout>` runs that checkout's app (built from its own sources, with this
 * tree's packages) side by side as "shutter before" instead of the ablations, so a change is
 * measured against its base in the same rounds:
 *   BEFORE=/work/before ROUNDS=7 node scripts/run-ts.mjs bench/profile-small-images.ts 2 300
 *
 * `PATHS=1` adds raw sharp handed the file's name (`sharp(file)`: the read inside libvips' pool job);
 * `SOURCES_AS_BYTES=1` adds this tree's shutter with a storage that hands no open files (read as bytes).
 *
 * `WIDTH=800` renders that width instead of 400 (the ceiling's JPEG 2 MP → JPEG 800 job), and
 * `BYTES=1` adds raw sharp handed the bytes already in memory, the ceiling's baseline:
 *   BEFORE=/work/before WIDTH=800 BYTES=1 ROUNDS=7 node scripts/run-ts.mjs bench/profile-small-images.ts 2 300
 */
import { createHook } from 'node:async_hooks';
import { loadavg } from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { createApp } from '../console/server/app.js';
import { createPlatform } from '../core/compose.js';
import { loadConfig } from '../core/config.js';
import { setLogLevel } from '../core/observability/logger.js';
import type { App } from '../api/image-app.js';
import { throughput } from './harness.js';
import { copyName, prepareInputs } from './inputs.js';
import { JOBS, rawSharp, shutterPath, type Job } from './jobs.js';
import { mainThreadCpuMs } from './procfs.js';
import { dataDirFor } from './servers.js';
import { bundleForNode } from '../scripts/bundle-node.mjs';

const inFlight = Number(process.argv[2] ?? 2);
const count = Number(process.argv[3] ?? 300);
const inputs = await prepareInputs({ smoke: false, copies: 2 });
const dataDir = await dataDirFor(inputs.dir);
interface Composer {
  createApp: typeof createApp;
  createPlatform: typeof createPlatform;
  loadConfig: typeof loadConfig;
}
const appWith = (env: Record<string, string> = {}, from: Composer = { createApp, createPlatform, loadConfig }) => {
  const made = from.createApp(from.createPlatform(from.loadConfig({ SHUTTER_DATA_DIR: dataDir, SHUTTER_SEED_SAMPLES: 'No', RESULT_CACHE_MB: '0', ...env })));
  made.ready = true;
  return made;
};

/**
 * Another checkout's composition, bundled from its sources; packages stay external, so they are
 * this tree's. The entry is written here, not in the other checkout (which may be read-only).
 */
async function composerFrom(root: string): Promise<Composer> {
  const entry = path.resolve('.cache', 'profile-small-images-before-entry.ts');
  await mkdir(path.dirname(entry), { recursive: true });
  await writeFile(entry, ['console/server/app', 'core/compose', 'core/config'].map((module) => `export * from ${JSON.stringify(path.join(root, `${module}.js`))};\n`).join(''));
  const outfile = await bundleForNode(entry, path.resolve('.cache', 'run-ts', 'profile-small-images-before.mjs'));
  return (await import(pathToFileURL(outfile).href)) as Composer;
}
// Ablations, to put a figure on each piece of work raw sharp does not do: what a request costs
// without its access record (sampling 0), and without its log line (the logger is the process's).
const app = appWith();
const unrecorded = appWith({ EVENTS_ACCESS_SAMPLE_RATE: '0' });
const before = process.env.BEFORE ? appWith({}, await composerFrom(path.resolve(process.env.BEFORE))) : undefined;
/** SOURCES_AS_BYTES=1: this tree's app with a storage that hands no open files (session 8's change alone, off). */
const asBytes = process.env.SOURCES_AS_BYTES === '1' ? bytesOnly() : undefined;
function bytesOnly(): App {
  const platform = createPlatform(loadConfig({ SHUTTER_DATA_DIR: dataDir, SHUTTER_SEED_SAMPLES: 'No', RESULT_CACHE_MB: '0' }));
  const { withFile: _files, ...storage } = platform.storage;
  const made = createApp({ ...platform, storage });
  made.ready = true;
  return made;
}
/** The log level for a variant's whole run (requests of one variant overlap). */
const levelFor = (name: string) => (name.includes('log') || name.includes('either') ? 'warn' : 'info');
// TINY=1: a 64 px source rendered to 32 px, so what shutter adds per request dominates the figures.
const tiny = process.env.TINY === '1';
if (tiny) {
  const pixels = await sharp(inputs.bytes['photo-2mp.jpg']).resize(64).jpeg().toBuffer();
  for (let copy = 0; copy < inputs.copies; copy++) await writeFile(path.join(inputs.dir, `tiny-${copyName('photo-2mp.jpg', copy)}`), pixels);
}
const base: Job = { ...JOBS.find((job) => job.id === '2mp-jpeg')!, width: tiny ? 32 : Number(process.env.WIDTH ?? 400) };
const perWorker = (worker: number): Job => ({ ...base, width: base.width + worker });
const fileOf = (worker: number) => `${tiny ? 'tiny-' : ''}${copyName(base.input, worker % inputs.copies)}`;

const inMemory = await Promise.all([0, 1].map((copy) => readFile(path.join(inputs.dir, `${tiny ? 'tiny-' : ''}${copyName(base.input, copy)}`))));
const variants: Record<string, (worker: number) => Promise<unknown>> = {
  ...(process.env.BYTES === '1' ? { 'raw sharp (bytes in memory)': (worker: number) => rawSharp(perWorker(worker), inMemory[worker % inMemory.length]!) } : {}),
  'raw sharp (reading the file)': async (worker) => rawSharp(perWorker(worker), await readFile(path.join(inputs.dir, fileOf(worker)))),
  // PATHS=1: raw sharp handed the file's name, libvips reading it inside its own pool job (session 8's floor).
  ...(process.env.PATHS === '1' ? { 'raw sharp (handed the path)': (worker: number) => rawSharp(perWorker(worker), path.join(inputs.dir, fileOf(worker))) } : {}),
  shutter: (worker) => shutterRequest(app, worker),
  ...(asBytes ? { 'shutter, sources as bytes': (worker: number) => shutterRequest(asBytes, worker) } : {}),
  ...(before
    ? { 'shutter before': (worker: number) => shutterRequest(before, worker) }
    : {
        'shutter without access records': (worker: number) => shutterRequest(unrecorded, worker),
        'shutter without request log lines': (worker: number) => shutterRequest(app, worker),
        'shutter without either': (worker: number) => shutterRequest(unrecorded, worker),
      }),
};

async function shutterRequest(on: App, worker: number): Promise<void> {
  const [pathname, search = ''] = shutterPath(perWorker(worker), fileOf(worker)).split('?');
  const response = await on.handle({ method: 'GET', path: pathname!, query: Object.fromEntries(new URLSearchParams(search)), headers: {} });
  if (response.status !== 200) throw new Error(`shutter answered ${response.status}`);
}


const created = new Map<string, number>();
const hook = createHook({
  init(_id, type) {
    created.set(type, (created.get(type) ?? 0) + 1);
  },
});

// A third argument picks one variant by its name ("raw" for raw sharp), for a CPU profile of it alone.
const pick = process.argv[4];
const chosen = Object.entries(variants).filter(([name]) => !pick || name === pick || (pick === 'raw' && name.startsWith('raw')));
for (const [name, task] of chosen) {
  setLogLevel(levelFor(name));
  await throughput(40, inFlight, task); // warm-up
}
// What each image creates, counted apart: the hook itself costs CPU per promise.
for (const [name, task] of chosen) {
  setLogLevel(levelFor(name));
  created.clear();
  hook.enable();
  await throughput(100, inFlight, task);
  hook.disable();
  const perImage = [...created].filter(([, n]) => n >= 50).map(([type, n]) => `${type} ${(n / 100).toFixed(2)}`);
  console.log(`${name}, per image: ${perImage.join(', ')}`);
}
const rounds = Number(process.env.ROUNDS ?? 3);
const samples: Record<string, Array<{ rate: number; cpuMs: number; mainMs: number }>> = {};
for (let round = 0; round < rounds; round++) {
  // Each round starts with the next variant, so drift on the machine hits them all alike.
  for (const [name, task] of [...chosen.slice(round % chosen.length), ...chosen.slice(0, round % chosen.length)]) {
    setLogLevel(levelFor(name));
    const cpu = process.cpuUsage();
    const main = mainThreadCpuMs();
    const rate = await throughput(count, inFlight, task);
    const mainMs = (mainThreadCpuMs() - main) / count;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000 / count;
    console.log(`${name}, ${inFlight} in flight: ${rate.toFixed(1)} img/s, CPU ${cpuMs.toFixed(3)} ms/img (main thread ${mainMs.toFixed(3)}, other threads ${(cpuMs - mainMs).toFixed(3)})`);
    (samples[name] ??= []).push({ rate, cpuMs, mainMs });
  }
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`\nmedians of ${rounds} rounds, ${inFlight} in flight, ${tiny ? '64 px source → 32 px' : `2 MP → ${base.width} px`}; load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
console.log('| variant | img/s | CPU ms/img | main thread | other threads |\n| --- | --- | --- | --- | --- |');
for (const [name, runs] of Object.entries(samples)) {
  const cpu = median(runs.map((run) => run.cpuMs));
  const main = median(runs.map((run) => run.mainMs));
  console.log(`| ${name} | ${median(runs.map((run) => run.rate)).toFixed(1)} | ${cpu.toFixed(3)} | ${main.toFixed(3)} | ${median(runs.map((run) => run.cpuMs - run.mainMs)).toFixed(3)} |`);
}
await Promise.all([app.flush(), unrecorded.flush(), before?.flush(), asBytes?.flush()]);
process.exit(0);

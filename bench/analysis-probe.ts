/**
 * Where a cache hit's time goes while the local analyzer runs (issue 19): the analysis-loop
 * scenario's cache hits, each timed with the main thread's own schedstat (CPU time, time waiting
 * for a core) and placed in the analysis' phases (decode on the main thread's side, inference in
 * the worker), plus the main thread's GC pauses. A microscope, not a benchmark of record (that is
 * `npm run bench -- --only analysis --no-peers`).
 *
 *   node scripts/run-ts.mjs bench/analysis-probe.ts [rounds=5]
 *   BEFORE=/work/before7 node scripts/run-ts.mjs bench/analysis-probe.ts cost [runs=8]
 *
 * `cost`: the main thread's own CPU time (schedstat) per analysis of the 12 MP photo (subjects, and
 * moderation), no hits, this tree against another checkout's LocalAnalyzer (bundled from its sources
 * with its own worker) in alternating runs: what the analysis itself costs the event loop's thread.
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { getPriority, loadavg, setPriority } from 'node:os';
import { execFileSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { createApp } from '../console/server/app.js';
import { createPlatform } from '../core/compose.js';
import { loadConfig } from '../core/config.js';
import { LocalAnalyzer } from '../core/adapters/local/local-analyzer.js';
import { AttentionAnalyzer } from '../core/adapters/local/attention-analyzer.js';
import { FaceApiDetector } from '../core/adapters/local/face-api-detector.js';
import { planFaceSearch } from '../core/adapters/local/face-tiles.js';
import { toModelInput } from '../core/adapters/local/model-input.js';
import { DEFAULTS } from '../core/limits.js';
import { DEFAULT_IMAGE_LIMITS, inspectImage } from '../core/pipeline/sharp-factory.js';
import { setLogLevel } from '../core/observability/logger.js';
import { percentile, repeatWhile } from './harness.js';
import { copyName, prepareInputs } from './inputs.js';
import { JOBS, shutterPath } from './jobs.js';
import { dataDirFor } from './servers.js';
import { beforeAnalyzer } from './before-analyzer.js';

/** See `cost` above; exits when done. */
async function mainThreadCost(runs: number): Promise<never> {
  const photo = inputs.bytes['photo-12mp.jpg'];
  const mainCpuMs = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  const analyzers: Record<string, { detectSubjects(image: Buffer): Promise<unknown>; moderate(image: Buffer, options: object): Promise<unknown>; load(): Promise<void>; close(): Promise<void> }> = {
    now: new LocalAnalyzer(),
  };
  if (process.env.BEFORE) analyzers.before = await beforeAnalyzer(process.env.BEFORE);
  const cpu: Record<string, { subjects: number[]; moderation: number[] }> = {};
  const idle: number[] = [];
  for (const analyzer of Object.values(analyzers)) {
    await analyzer.load();
    await analyzer.detectSubjects(photo); // warm: the first inference compiles the graph
  }
  for (let run = 0; run < runs; run++) {
    for (const [name, analyzer] of Object.entries(analyzers)) {
      const figures = (cpu[name] ??= { subjects: [], moderation: [] });
      let started = mainCpuMs();
      await analyzer.detectSubjects(photo);
      figures.subjects.push(mainCpuMs() - started);
      started = mainCpuMs();
      await analyzer.moderate(photo, { minConfidence: 75 });
      figures.moderation.push(mainCpuMs() - started);
    }
    // What the idle process costs the thread meanwhile (timers, GC), for as long as an analysis lasts.
    const started = mainCpuMs();
    await sleep(1000);
    idle.push(mainCpuMs() - started);
  }
  console.log(`main thread CPU per analysis of the 12 MP photo (ms, median of ${runs} alternating runs; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}):`);
  console.log(`  idle, 1 s: ${percentile(idle, 50).toFixed(2)} (${idle.map((v) => v.toFixed(1)).join(' ')})`);
  for (const [name, { subjects, moderation }] of Object.entries(cpu))
    console.log(`  ${name}: subjects ${percentile(subjects, 50).toFixed(2)} (${subjects.map((v) => v.toFixed(1)).join(' ')}), moderation ${percentile(moderation, 50).toFixed(2)} (${moderation.map((v) => v.toFixed(1)).join(' ')})`);
  for (const analyzer of Object.values(analyzers)) await analyzer.close();
  process.exit(0);
}

const inputs = await prepareInputs({ smoke: false, copies: 2 });
if (process.argv[2] === 'cost') await mainThreadCost(Number(process.argv[3] ?? 8));
const rounds = Number(process.argv[2] ?? 5);
const dataDir = await dataDirFor(inputs.dir);
setLogLevel('warn');
const app = createApp(createPlatform(loadConfig({ SHUTTER_DATA_DIR: dataDir, SHUTTER_SEED_SAMPLES: 'No', LOG_LEVEL: 'warn', REQUEST_TIMEOUT_MS: '600000' })));
app.ready = true;
const job = { ...JOBS.find((j) => j.id === '2mp-jpeg')!, width: 400 };
const [pathname, search = ''] = shutterPath(job, copyName(job.input, 0)).split('?');
const request = { method: 'GET', path: pathname!, query: Object.fromEntries(new URLSearchParams(search)), headers: {} };

/** The main thread's schedstat: ns on a CPU, ns waiting on a run queue, timeslices. */
const schedFile = `/proc/self/task/${process.pid}/schedstat`;
const sched = () => readFileSync(schedFile, 'utf8').split(' ').map(Number) as [number, number, number];

interface Hit {
  /** CLOCK_MONOTONIC ns at the start (to line up with a kernel trace: perf record -k CLOCK_MONOTONIC). */
  ns: bigint;
  at: number;
  ms: number;
  cpuMs: number;
  waitMs: number;
}
const hitOnce = async (): Promise<Hit> => {
  const s0 = sched();
  const ns = process.hrtime.bigint();
  const at = performance.now();
  const response = await app.handle(request);
  const ms = performance.now() - at;
  const s1 = sched();
  if (response.status !== 200) throw new Error(`status ${response.status}`);
  return { ns, at, ms, cpuMs: (s1[0] - s0[0]) / 1e6, waitMs: (s1[1] - s0[1]) / 1e6 };
};
await hitOnce();

const gcs: Array<{ at: number; ms: number; kind: number }> = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcs.push({ at: entry.startTime, ms: entry.duration, kind: (entry as unknown as { detail: { kind: number } }).detail.kind });
}).observe({ entryTypes: ['gc'] });

const photo = inputs.bytes['photo-12mp.jpg'];
const analyzer = new LocalAnalyzer();
await analyzer.load();
const phases: Record<string, number> = {};
const cpuAt: Record<string, Map<string, number>> = {};
const models = analyzer.models;
// The phases: "decode" until the detector starts (the pixels posted; or, when the worker decodes, the
// time it reports for that), "worker" until the answer.
const detect = models.detectFaces.bind(models);
models.detectFaces = async (...args) => {
  phases.posted = performance.now();
  cpuAt.posted = threadCpu();
  try {
    return await detect(...args);
  } finally {
    phases.answered = performance.now();
    cpuAt.answered = threadCpu();
  }
};
const detectInImage = models.detectFacesInImage.bind(models);
models.detectFacesInImage = async (...args) => {
  const called = performance.now();
  const found = await detectInImage(...args);
  phases.posted = called + found.decodeMs;
  phases.answered = performance.now();
  return found;
};

/** CPU ms per thread name (tid's comm; the main thread as "main"), from /proc/self/task. */
const threadCpu = (): Map<string, number> => {
  const byName = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const text = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = Number(tid) === process.pid ? 'main' : text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 10));
    } catch {
      // ended
    }
  }
  return byName;
};
const cpuDelta = (a: Map<string, number>, b: Map<string, number>) =>
  [...b].map(([name, ms]) => [name, ms - (a.get(name) ?? 0)] as const).filter(([, ms]) => ms > 0).map(([name, ms]) => `${name} ${ms}`).join(', ');

const hitsDuring = (work: () => Promise<unknown>, minimum: number): Promise<Hit[]> => repeatWhile(work, minimum, hitOnce);

const fmt = (n: number) => n.toFixed(3);
const summary = (label: string, hits: Hit[]) => {
  const ms = hits.map((h) => h.ms);
  const wait = hits.reduce((s, h) => s + h.waitMs, 0);
  const cpu = hits.reduce((s, h) => s + h.cpuMs, 0);
  return `${label}: n=${hits.length} p50=${fmt(percentile(ms, 50))} p90=${fmt(percentile(ms, 90))} p99=${fmt(percentile(ms, 99))} max=${fmt(Math.max(...ms))} ms; main thread CPU/hit ${fmt(cpu / hits.length)} ms, run-queue wait/hit ${fmt(wait / hits.length)} ms, hits that waited ${hits.filter((h) => h.waitMs > 0.005).length}`;
};

// Variants of the analysis, to tell which part of it slows the hits down (VARIANTS=full,worker-only,...).
const faceDetector = new FaceApiDetector({ models });
const attention = new AttentionAnalyzer();
const size = await inspectImage(photo, DEFAULT_IMAGE_LIMITS);
const plan = planFaceSearch(size, faceDetector.searchOptions);
const ready = await toModelInput(photo, { maxSide: plan.copySide });
const variants: Record<string, () => Promise<unknown>> = {
  full: () => analyzer.detectSubjects(photo),
  'faces only': () => faceDetector.detectSubjects(photo),
  'worker only': () => models.detectFaces('ssd_mobilenetv1', ready, plan.regions, DEFAULTS.faceMinScore, plan.confirm),
  'decode only': () => Promise.all([toModelInput(photo, { maxSide: plan.copySide }), attention.detectSubjects(photo)]),
  sequential: async () => {
    await faceDetector.detectSubjects(photo);
    await attention.detectSubjects(photo);
  },
  'attention first': async () => {
    await attention.detectSubjects(photo);
    await faceDetector.detectSubjects(photo);
  },
};
// The worker thread: the busiest thread named like the main one (worker_threads keep the process's name).
const workerTid = (() => {
  let best: [string, number] = ['', -1];
  for (const tid of readdirSync('/proc/self/task')) {
    if (Number(tid) === process.pid) continue;
    const text = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    if (!text.includes('(node)')) continue;
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const cpu = Number(fields[11]) + Number(fields[12]);
    if (cpu > best[1]) best = [tid, cpu];
  }
  return best[0];
})();
/** How the worker thread is scheduled, set from outside for a variant: `idle` (SCHED_IDLE) or a nice value. */
const policy = (how: string) => {
  if (how === 'idle') execFileSync('chrt', ['--idle', '-p', '0', workerTid]);
  else {
    execFileSync('chrt', ['--other', '-p', '0', workerTid]);
    setPriority(Number(workerTid), how === 'as started' ? workerNice : Math.min(19, getPriority() + Number(how)));
  }
};
const workerNice = getPriority(Number(workerTid));
for (const how of ['idle', '+19', 'as started']) {
  variants[`worker only, ${how}`] = async () => {
    policy(how);
    try {
      return await variants['worker only']!();
    } finally {
      policy('as started');
    }
  };
  variants[`full, ${how}`] = async () => {
    policy(how);
    try {
      return await variants.full!();
    } finally {
      policy('as started');
    }
  };
}
const policyOf = (tid: string) => {
  try {
    return execFileSync('chrt', ['-p', tid], { encoding: 'utf8' }).trim().replace(/\n/g, '; ');
  } catch {
    return 'policy unknown (no chrt)';
  }
};
console.log(`worker thread ${workerTid}: ${policyOf(workerTid)}, nice ${getPriority(Number(workerTid))}; the main thread ${process.pid}: nice ${getPriority()}`);
const chosen = (process.env.VARIANTS ?? 'full;worker only').split(';');
const p99s: Record<string, number[]> = {};
console.log(`load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
let count = 2000;
for (let round = 0; round < rounds; round++) {
  for (let v = 0; v < chosen.length; v++) {
    const name = chosen[(v + round) % chosen.length]!;
    const quiet = await hitsDuring(() => Promise.resolve(), count);
    for (const key of Object.keys(phases)) delete phases[key];
    gcs.length = 0;
    const started = performance.now();
    cpuAt.started = threadCpu();
    const during = await hitsDuring(variants[name]!, 20);
    const ended = performance.now();
    cpuAt.ended = threadCpu();
    count = Math.max(1000, during.length);
    const q99 = percentile(quiet.map((h) => h.ms), 99);
    const d99 = percentile(during.map((h) => h.ms), 99);
    (p99s[name] ??= []).push(d99 / q99);
    console.log(`round ${round + 1} ${name} (load ${loadavg()[0]!.toFixed(2)}): ${fmt(ended - started)} ms; p99 ${fmt(d99)} vs quiet ${fmt(q99)} = ${(d99 / q99).toFixed(2)}x; GC ${gcs.length}x ${fmt(gcs.reduce((s, g) => s + g.ms, 0))} ms`);
    console.log('  ' + summary('quiet ', quiet));
    console.log('  ' + summary('during', during));
    console.log(`  CPU ms by thread: [${cpuDelta(cpuAt.started, cpuAt.ended)}]`);
    if (process.env.TRACE_OUT)
      appendFileSync(
        process.env.TRACE_OUT,
        JSON.stringify({ variant: name, pid: process.pid, startedNs: String(process.hrtime.bigint() - BigInt(Math.round((performance.now() - started) * 1e6))), phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, v - started])), hits: during.map((h) => [String(h.ns), h.ms]) }) + '\n',
      );
    if (phases.posted) {
      const phaseOf = (h: Hit) => (h.at < phases.posted! ? 'decode' : h.at < (phases.answered ?? Infinity) ? 'worker' : 'after');
      console.log(`  decode until ${fmt(phases.posted - started)} ms`);
      for (const phase of ['decode', 'worker', 'after'] as const) {
        const hits = during.filter((h) => phaseOf(h) === phase);
        if (hits.length) console.log('    ' + summary(phase.padEnd(6), hits));
      }
    }
  }
}
for (const [name, values] of Object.entries(p99s)) console.log(`${name}: p99 / quiet p99 by round ${values.map((v) => v.toFixed(2)).join(' ')}; median ${percentile(values, 50).toFixed(2)}`);
await analyzer.close();
process.exit(0);

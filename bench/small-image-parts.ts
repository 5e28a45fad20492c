/**
 * Where shutter's per-request time goes on a small render (issue 19, session 6): each piece of the
 * work shutter does around a render, added alone to raw sharp's render of the same 2 MP JPEG →
 * 400 px JPEG (bytes in memory), against that render alone, interleaved round by round. Figures are
 * the main thread's CPU per image (schedstat): the event loop's own work, apart from libvips'
 * threads. A piece costs far more here than in a tight loop (a decode of the URL: ~10 µs alone,
 * ~0.1 ms between renders): libvips' threads fill the CPU caches between two requests, so what
 * counts is how much code and data a piece touches, not how many instructions it runs.
 *
 *   node scripts/run-ts.mjs bench/small-image-parts.ts [rounds=9] [count=150] [inFlight=2]
 *
 * Not a benchmark of record (that is `npm run bench -- --only small-images`): a breakdown.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { decodeImageRequest } from '../api/decode-request.js';
import { createRouter } from '../api/router.js';
import { createApp } from '../console/server/app.js';
import { createPlatform } from '../core/compose.js';
import { loadConfig } from '../core/config.js';
import { logger } from '../core/observability/logger.js';
import { httpBytesOut, httpDuration, httpRequests } from '../core/observability/metrics.js';
import { renderImage } from '../core/pipeline/render-image.js';
import { inspectImage } from '../core/pipeline/sharp-factory.js';
import { throughput } from './harness.js';
import { copyName, prepareInputs } from './inputs.js';
import { mainThreadCpuMs } from './procfs.js';
import { dataDirFor } from './servers.js';

const rounds = Number(process.argv[2] ?? 9);
const count = Number(process.argv[3] ?? 150);
const inFlight = Number(process.argv[4] ?? 2);
const inputs = await prepareInputs({ smoke: false, copies: 2 });
const platform = createPlatform(loadConfig({ SHUTTER_DATA_DIR: await dataDirFor(inputs.dir), SHUTTER_SEED_SAMPLES: 'No', RESULT_CACHE_MB: '0' }));
const { config, storage, presets } = platform;
const app = createApp(platform);
app.ready = true;
const files = [0, 1].map((copy) => copyName('photo-2mp.jpg', copy));
const bytes = await Promise.all(files.map((file) => readFile(path.join(inputs.dir, file))));
const infos = await Promise.all(bytes.map((input) => inspectImage(input, config.limits)));
const deps = { storage, analyzer: platform.analyzer, limits: config.limits, allowedBuckets: config.sourceBuckets };
// Each request in flight asks for its own width of one of two copies, as in the scenario.
const fileOf = (worker: number) => files[worker % files.length]!;
const bytesOf = (worker: number) => bytes[worker % bytes.length]!;
const width = (worker: number) => 400 + worker;
const query = (worker: number) => ({ width: String(width(worker)), format: 'jpeg' });
const requests = Array.from({ length: inFlight }, (_, worker) => decodeImageRequest(`/${fileOf(worker)}`, query(worker), config, presets).request);
// The router around a fixed answer: dispatch over the console's routes, metrics, the log line, security headers.
const routed = createRouter(app.routes, async () => ({ status: 200, headers: { 'Content-Type': 'image/jpeg' }, body: bytes[0]!.subarray(0, 24_000), meta: { door: 'Thumbor' } }), config);
const render = (worker: number, input: Buffer = bytesOf(worker)) => sharp(input).autoOrient().resize(width(worker)).jpeg({ quality: 80, mozjpeg: false }).toBuffer();

const PIECES: Record<string, (worker: number) => Promise<unknown>> = {
  'raw sharp (bytes in memory)': (worker) => render(worker),
  '+ read the file (readFile, as raw sharp does)': async (worker) => render(worker, await readFile(path.join(inputs.dir, fileOf(worker)))),
  "+ read it through shutter's storage": async (worker) => render(worker, (await storage.get('images', fileOf(worker), { maxBytes: config.limits.maxSourceBytes })).body),
  '+ decode the URL and validate the request': (worker) => (decodeImageRequest(`/${fileOf(worker)}`, query(worker), config, presets), render(worker)),
  '+ router: routes, metrics, log line, security headers': async (worker) => (await routed({ method: 'GET', path: `/${fileOf(worker)}`, query: query(worker), headers: {} }), render(worker)),
  '+ the log line alone': (worker) => (logger.info({ requestId: randomUUID(), method: 'GET', path: `/${fileOf(worker)}`, route: 'image', door: 'Thumbor', status: 200, ms: 10.3, bytes: 24_000 }, 'request'), render(worker)),
  '+ the metrics alone': (worker) => {
    httpRequests.inc({ route: 'image', door: 'Thumbor', status: '200' });
    httpDuration.observe({ route: 'image' }, 0.01);
    httpBytesOut.inc({ route: 'image' }, 24_000);
    return render(worker);
  },
  "shutter's renderImage instead (request and header facts known)": (worker) => renderImage(bytesOf(worker), requests[worker]!, deps, { source: infos[worker % infos.length] }),
  'shutter, the whole request (app.handle)': async (worker) => {
    const response = await app.handle({ method: 'GET', path: `/${fileOf(worker)}`, query: query(worker), headers: {} });
    if (response.status !== 200) throw new Error(`shutter answered ${response.status}`);
  },
};

const names = Object.keys(PIECES);
const main: Record<string, number[]> = {};
const cpu: Record<string, number[]> = {};
for (const name of names) await throughput(40, inFlight, PIECES[name]!); // warm-up
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length]!;
    const started = process.cpuUsage();
    const mainStarted = mainThreadCpuMs();
    await throughput(count, inFlight, PIECES[name]!);
    const used = process.cpuUsage(started);
    (main[name] ??= []).push((mainThreadCpuMs() - mainStarted) / count);
    (cpu[name] ??= []).push((used.user + used.system) / 1000 / count);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const base = names[0]!;
// Each round's difference to the render alone in the same round, then the median: drift cancels out.
const delta = (figures: Record<string, number[]>, name: string) => median(figures[name]!.map((value, i) => value - figures[base]![i]!));
console.log(`\n2 MP JPEG → 400 px JPEG, ${inFlight} in flight, ${rounds} rounds of ${count}; load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
console.log('| piece | main thread CPU ms/img | over the render alone | process CPU ms/img |\n| --- | ---: | ---: | ---: |');
for (const name of names) {
  console.log(`| ${name} | ${median(main[name]!).toFixed(3)} | ${name === base ? '' : `${delta(main, name) >= 0 ? '+' : ''}${delta(main, name).toFixed(3)}`} | ${median(cpu[name]!).toFixed(2)} |`);
}
await app.flush();
process.exit(0);

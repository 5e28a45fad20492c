/**
 * On-demand throughput: shutter's image handler against raw sharp doing the same operation, in
 * the same run, as a ratio; in process and over HTTP on loopback; plus cached (304) answers.
 *
 *   npm run bench:on-demand            full run
 *   npm run bench:on-demand -- --smoke tiny sizes and counts (CI: proves the bench still runs)
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { createApp } from '../api/app.js';
import { startServer } from '../api/local-server.js';
import { createPlatform } from '../core/compose.js';
import { loadConfig } from '../core/config.js';
import { get, pair, percentile, round, table, throughput } from './harness.js';

const smoke = process.argv.includes('--smoke');
const rounds = smoke ? 1 : 5;
const count = smoke ? 4 : 40;
const concurrency = 2;

const dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-bench-'));
await mkdir(path.join(dataDir, 'buckets', 'images'), { recursive: true });
const [width, height] = smoke ? [600, 400] : [3000, 2000];
// A 6 MP photo: the coffee sample enlarged, re-encoded as a camera would.
const source = await sharp(path.join(import.meta.dirname, '../samples/coffee.jpg')).resize(width, height).jpeg({ quality: 90 }).toBuffer();
await writeFile(path.join(dataDir, 'buckets', 'images', 'photo.jpg'), source);

const config = loadConfig({ SHUTTER_DATA_DIR: dataDir, SHUTTER_SEED_SAMPLES: 'No', LOG_LEVEL: 'warn' });
const app = createApp(createPlatform(config));
app.ready = true;
const server = await startServer(app.handle, { port: 0, host: '127.0.0.1' });

const jobs = [
  { name: 'JPEG→JPEG 800px', path: '/800x0/photo.jpg', raw: () => sharp(source).resize(800).jpeg({ quality: 80 }).toBuffer() },
  { name: 'JPEG→WebP 800px', path: '/800x0/filters:format(webp)/photo.jpg', raw: () => sharp(source).resize(800).webp({ quality: 80 }).toBuffer() },
];

const rows: Array<Record<string, string | number>> = [];
for (const job of jobs) {
  const inProcess = await pair(
    rounds,
    () => throughput(count, concurrency, () => app.handle({ method: 'GET', path: job.path, query: {}, headers: {} })),
    () => throughput(count, concurrency, job.raw),
  );
  rows.push({ scenario: `${job.name}, in process`, 'shutter req/s': round(inProcess.a.median), 'raw sharp op/s': round(inProcess.b.median), 'ratio min/med/max': `${round(inProcess.ratio.min)} / ${round(inProcess.ratio.median)} / ${round(inProcess.ratio.max)}` });
  const overHttp = await pair(
    rounds,
    () => throughput(count, concurrency, () => get(`${server.url}${job.path}`)),
    () => throughput(count, concurrency, job.raw),
  );
  rows.push({ scenario: `${job.name}, HTTP`, 'shutter req/s': round(overHttp.a.median), 'raw sharp op/s': round(overHttp.b.median), 'ratio min/med/max': `${round(overHttp.ratio.min)} / ${round(overHttp.ratio.median)} / ${round(overHttp.ratio.max)}` });
}

// Cached: a client revalidating with If-None-Match gets 304 without a render.
const first = await fetch(`${server.url}/800x0/photo.jpg`);
const etag = first.headers.get('etag')!;
const latencies: number[] = [];
const cachedRate = await throughput(smoke ? 20 : 2000, concurrency, async () => {
  const { status, ms } = await get(`${server.url}/800x0/photo.jpg`, { 'if-none-match': etag });
  if (status !== 304) throw new Error(`expected 304, got ${status}`);
  latencies.push(ms);
});
rows.push({ scenario: 'ETag revalidation (304), HTTP', 'shutter req/s': round(cachedRate), 'raw sharp op/s': '-', 'ratio min/med/max': `p50 ${round(percentile(latencies, 50))} ms, p99 ${round(percentile(latencies, 99))} ms` });

console.log(`\nOn-demand, ${width}×${height} JPEG source, concurrency ${concurrency}, ${count} requests × ${rounds} rounds (${smoke ? 'smoke' : 'full'})\n`);
console.log(table(rows));
await server.close();
process.exit(0);

/**
 * `npm start` as a newcomer runs it: the built CLI serves on a port, seeds the sample photos on
 * first start, answers /health, and the example URLs it prints work.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, imageInfo } from '../helpers/images.js';

let child: ChildProcess;
let output = '';
let base = '';
let dataDir = '';

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
  dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-cli-'));
  child = spawn(process.execPath, ['dist/shutter.mjs', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SHUTTER_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Generous: the build and a first start share two cores with the rest of the suite.
  const deadline = Date.now() + 60_000;
  while (!/Try:/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  base = /(http:\/\/localhost:\d+)/.exec(output)![1]!;
}, 120_000);

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

test('first start seeds the default bucket with the sample photographs', async () => {
  expect((await readdir(path.join(dataDir, 'buckets', 'images'))).sort()).toEqual(['astronaut.jpg', 'chelsea.jpg', 'coffee.jpg', 'rocket.jpg']);
  expect(output).toMatch(/seeded sample photographs/);
});

test('/health answers 200 once ready', async () => {
  const response = await fetch(`${base}/health`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok' });
});

test('every example URL it prints serves an image or its metadata', async () => {
  const tryBlock = output.slice(output.indexOf('Try:'), output.indexOf('Bulk workflow:'));
  const urls = tryBlock.match(/^\s+(http:\/\/localhost:\d+\/\S+)$/gm)!.map((line) => line.trim());
  expect(urls.length).toBe(4);
  for (const url of urls) {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    if (url.includes('/meta/')) expect(((await response.json()) as { width: number }).width).toBe(512);
    else expect((await imageInfo(Buffer.from(await response.arrayBuffer()))).width).toBeGreaterThan(0);
  }
});

test('SIGTERM stops it cleanly, with the access records still waiting for their batch written', async () => {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  // Access records are batched once a second (DEFAULTS.accessBatchMs): those of the example URLs
  // above, answered just before the signal, are flushed by the shutdown, not lost.
  const eventsDir = path.join(dataDir, 'events');
  const lines: string[] = [];
  for (const partition of await readdir(eventsDir)) {
    for (const file of await readdir(path.join(eventsDir, partition))) lines.push(...(await readFile(path.join(eventsDir, partition, file), 'utf8')).split('\n').filter(Boolean));
  }
  const served = lines.map((line) => JSON.parse(line) as { type: string; data: { path: string } }).filter((event) => event.type === 'image.request.served');
  // The three image URLs (/meta/ is not an image request).
  expect(served.filter((event) => !event.data.path.startsWith('/health')).length).toBeGreaterThanOrEqual(3);
});

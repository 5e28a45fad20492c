/**
 * `shutter serve` gives memory back once its requests have paused for MEMORY_IDLE_SECONDS (here 1):
 * the built CLI, a few renders, then one debug line saying what the release did (a full GC and
 * glibc's malloc_trim), and no more while it stays idle. Nothing is released at start, before any work.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/images.js';

let child: ChildProcess;
let output = '';
let base = '';
let dataDir = '';

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${what}, output:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface ReleaseLine {
  msg: string;
  rssBeforeMb: number;
  rssAfterMb: number;
  gc: boolean;
  trimmed: boolean;
  ms: number;
}

const releases = (): ReleaseLine[] =>
  output
    .split('\n')
    .filter((line) => line.includes('idle: memory given back'))
    .map((line) => JSON.parse(line) as ReleaseLine);

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
  dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-idle-'));
  child = spawn(process.execPath, ['dist/shutter.mjs', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SHUTTER_DATA_DIR: dataDir, MEMORY_IDLE_SECONDS: '1', LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(() => /Try:/.test(output), 'server did not start');
  base = /(http:\/\/localhost:\d+)/.exec(output)![1]!;
}, 120_000);

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

test('after a burst of renders and a second without requests, memory goes back once', async () => {
  // Idle since start, longer than MEMORY_IDLE_SECONDS: no work yet, so nothing to give back.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(releases()).toEqual([]);
  await Promise.all(
    [300, 301, 302, 303].map(async (width) => {
      const response = await fetch(`${base}/astronaut.jpg?width=${width}&format=webp`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }),
  );
  await until(() => releases().length > 0, 'no release after the burst');
  const [release] = releases();
  expect(release).toMatchObject({ gc: true, trimmed: true });
  expect(release!.rssAfterMb).toBeLessThanOrEqual(release!.rssBeforeMb + 1);
  // Still idle: once per pause, not once per second.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  expect(releases()).toHaveLength(1);
}, 60_000);

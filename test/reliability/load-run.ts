/**
 * Load on `shutter serve` over loopback, shared by the CI load test and the soak script: start
 * the real CLI as a child process (so its RSS is the server's alone), measure its capacity,
 * hold a load at that rate window by window, or push far beyond it. autocannon drives it.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ROOT, samplePhoto } from '../helpers/images.js';

export interface ServeProcess {
  url: string;
  dataDir: string;
  pid: number;
  /** The server's resident memory, from /proc. */
  rssMb(): Promise<number>;
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** The request mix: one render per door, each a realistic thumbnail of a 1200×800 photo. */
export const LOAD_PATHS = [
  '/fit-in/320x320/coffee.jpg',
  '/chelsea.jpg?width=300&format=webp',
  `/${Buffer.from(JSON.stringify({ key: 'rocket.jpg', edits: { resize: { width: 240, height: 240 }, grayscale: true } })).toString('base64')}`,
];

/** Starts `shutter serve` on a free loopback port over a fresh data folder holding the load's photos. */
export async function startServeProcess(env: Record<string, string> = {}, prepare?: (dataDir: string) => Promise<void>): Promise<ServeProcess> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-load-'));
  const bucket = path.join(dataDir, 'buckets', 'images');
  await mkdir(bucket, { recursive: true });
  for (const name of ['coffee', 'chelsea', 'rocket'] as const) {
    await writeFile(path.join(bucket, `${name}.jpg`), await sharp(samplePhoto(name)).resize(1200, 800, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer());
  }
  await prepare?.(dataDir);
  const child = spawn(process.execPath, ['scripts/run-ts.mjs', 'bin/shutter.ts', 'serve'], {
    cwd: ROOT,
    // Result cache off: the load repeats three URLs, which the cache would answer from memory after the
    // first render; the capacity held and the overload shed here are of renders.
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SHUTTER_DATA_DIR: dataDir, SHUTTER_SEED_SAMPLES: 'No', RESULT_CACHE_MB: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // Kept whole up to 4 MB (the logs test reads all of it), then only the tail.
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!/"msg":"shutter is serving"/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`shutter serve did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const port = Number(/"port":(\d+)/.exec(output)?.[1]);
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    pid: child.pid!,
    async rssMb() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
    },
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

const requests = (onResponse?: (status: number, body: string, headers: Record<string, string>) => void) =>
  LOAD_PATHS.map((requestPath) => ({ method: 'GET', path: requestPath, ...(onResponse ? { onResponse: (status: number, body: string, _context: unknown, headers: Record<string, string>) => onResponse(status, body, headers) } : {}) }));

/** Requests per second the server sustains with `connections` always busy (a closed loop). */
export async function measureCapacity(url: string, seconds = 4, connections = 4): Promise<number> {
  await autocannon({ url, connections, duration: 1, requests: requests() }); // warm-up: JIT, libvips, file cache
  const result = await autocannon({ url, connections, duration: seconds, requests: requests() });
  return result.requests.total / seconds;
}

export interface LoadWindow {
  window: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** The status of every answer that was not 2xx, by status (e.g. `{ "503": 3 }`). */
  statuses: Record<string, number>;
  p50: number;
  p99: number;
  rssMb: number;
}

/**
 * Holds `rate` req/s for `windows` × `windowSeconds`, window by window, recording latency and
 * the server's RSS at the end of each. `connections` bounds what is in flight, so a slower
 * server sees longer latencies, not an ever-growing queue.
 */
export async function holdLoad(
  server: ServeProcess,
  options: { rate: number; windows: number; windowSeconds: number; connections?: number; onWindow?: (window: LoadWindow) => void },
): Promise<LoadWindow[]> {
  const windows: LoadWindow[] = [];
  for (let window = 1; window <= options.windows; window++) {
    const statuses: Record<string, number> = {};
    const result = await autocannon({
      url: server.url,
      connections: options.connections ?? 4,
      duration: options.windowSeconds,
      overallRate: options.rate,
      timeout: 30,
      requests: requests((status) => {
        if (status < 200 || status >= 300) statuses[status] = (statuses[status] ?? 0) + 1;
      }),
    });
    const stats: LoadWindow = {
      window,
      requests: result.requests.total,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      statuses,
      p50: result.latency.p50,
      p99: result.latency.p99,
      rssMb: await server.rssMb(),
    };
    windows.push(stats);
    options.onWindow?.(stats);
  }
  return windows;
}

export interface OverloadResult {
  statuses: Record<number, number>;
  /** 503 answers lacking `Retry-After` or the `Server::Overloaded` code. */
  unclean503: number;
  errors: number;
  timeouts: number;
  p99: number;
  requests: number;
}

/** Opens far more connections than the server renders and queues, with no rate limit. */
export async function overload(url: string, options: { connections: number; seconds: number }): Promise<OverloadResult> {
  const statuses: Record<number, number> = {};
  let unclean503 = 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 30,
    requests: requests((status, body, headers) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 503) {
        const retryAfter = headers['retry-after'] ?? headers['Retry-After'];
        let code: string | undefined;
        try {
          code = (JSON.parse(body) as { code?: string }).code;
        } catch {
          code = undefined;
        }
        if (retryAfter !== '1' || code !== 'Server::Overloaded') unclean503++;
      }
    }),
  });
  return { statuses, unclean503, errors: result.errors, timeouts: result.timeouts, p99: result.latency.p99, requests: result.requests.total };
}

export const percentRound = (value: number) => Math.round(value * 10) / 10;

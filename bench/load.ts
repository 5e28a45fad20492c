/**
 * The load generator: a bounded autocannon run (a fixed number of requests, a time cap) against
 * loopback only, keep-alive, one request in flight per connection. Each connection can be given
 * its own path, so identical requests never overlap unless a scenario wants them to.
 */
import autocannon from 'autocannon';
import { treeCpuSeconds } from './procfs.js';

/** The parts of autocannon's instance this runner uses (its own types vary between releases). */
interface AutocannonRun extends Promise<{ errors: number; timeouts: number }> {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  stop(): void;
}

export interface LoadResult {
  /** Requests per second over the whole run. */
  rps: number;
  /** Latencies of 2xx/3xx answers, ms. */
  p50: number;
  p99: number;
  /** Server CPU seconds per request (its process tree), when a pid is given. */
  cpuPerRequest?: number;
  errors: number;
}

export interface LoadOptions {
  base: string;
  /** One path per connection (cycled if fewer than connections). */
  paths: string[];
  connections: number;
  amount: number;
  headers?: Record<string, string>;
  /** Server process to charge CPU to. */
  pid?: number;
  /** Status expected of every answer (default: any 2xx). */
  expect?: number;
  /** Stop after this long even if `amount` is not reached. */
  maxSeconds?: number;
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.base);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`load targets loopback only, not ${url.hostname}`);
  let next = 0;
  const latencies: number[] = [];
  let unexpected = 0;
  const cpuBefore = options.pid ? treeCpuSeconds(options.pid) : 0;
  const started = performance.now();
  // Without a callback autocannon returns its instance, which is also a promise of the result.
  const instance = (autocannon as unknown as (options: Record<string, unknown>) => unknown)({
    url: options.base,
    connections: options.connections,
    amount: options.amount,
    duration: 120,
    pipelining: 1,
    // autocannon notices the end of a run on its sampling tick (1 s by default): tick often.
    sampleInt: 20,
    timeout: 60,
    headers: options.headers ?? {},
    // Each connection keeps the path it drew first (setupClient would miss the first request).
    requests: [
      {
        method: 'GET',
        setupRequest: (request: Record<string, unknown>, context: { path?: string }) => {
          context.path ??= options.paths[next++ % options.paths.length]!;
          return { ...request, path: context.path };
        },
      },
    ],
  }) as unknown as AutocannonRun;
  // Time the run to its last answer, not to autocannon's closing tick.
  let answered = 0;
  let lastAnswer = started;
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (options.expect ? status !== options.expect : status >= 400) unexpected++;
    else latencies.push(ms);
    lastAnswer = performance.now();
    answered++;
    // A time cap for fast answers (cache hits): count what was answered by then.
    if (options.maxSeconds && lastAnswer - started > options.maxSeconds * 1000) instance.stop();
  });
  const result = await instance;
  const seconds = (lastAnswer - started) / 1000;
  const completed = answered;
  if (unexpected) throw new Error(`${unexpected} unexpected answers from ${options.base}${options.paths[0]}`);
  const sorted = latencies.sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return {
    rps: completed / seconds,
    p50: at(0.5),
    p99: at(0.99),
    ...(options.pid ? { cpuPerRequest: (treeCpuSeconds(options.pid) - cpuBefore) / Math.max(1, completed) } : {}),
    errors: result.errors + result.timeouts,
  };
}

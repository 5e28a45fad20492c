/**
 * Bench plumbing shared by the scenarios: alternate A and B runs so machine drift hits both,
 * report min/median/max and the ratio pair by pair, and load a server with a bounded number of
 * keep-alive requests at a fixed concurrency (loopback only).
 */
import http from 'node:http';

export interface Stats {
  min: number;
  median: number;
  max: number;
}

export function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]! };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `a` and `b` in turn `rounds` times; each returns a throughput (ops/s). Ratio = a/b per pair. */
export async function pair(rounds: number, a: () => Promise<number>, b: () => Promise<number>) {
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  await a();
  await b(); // warm-up, not counted
  for (let i = 0; i < rounds; i++) {
    const x = await a();
    const y = await b();
    as.push(x);
    bs.push(y);
    ratios.push(x / y);
  }
  return { a: stats(as), b: stats(bs), ratio: stats(ratios) };
}

/** Ops per second of `count` runs of `task` with `concurrency` in flight; `task` gets its worker's index. */
export async function throughput(count: number, concurrency: number, task: (worker: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next++ < count) await task(worker);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/** One measurement of one variant: its main value and any side figures (CPU per op, p99, ...). */
export interface Sample {
  value: number;
  [figure: string]: number;
}

/**
 * Runs every variant once per round, rotating which goes first so drift and noise from other
 * work on the machine hit all of them alike; one warm-up round is not counted. Returns each
 * variant's samples in round order, so ratios can be taken round by round.
 */
export async function alternate(rounds: number, variants: Record<string, () => Promise<Sample>>): Promise<Record<string, Sample[]>> {
  const names = Object.keys(variants);
  const samples: Record<string, Sample[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (const name of names) await variants[name]!();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      samples[name]!.push(await variants[name]!());
    }
  }
  return samples;
}

/** Round-by-round ratios a/b of a figure (default: the main value). */
export function ratios(a: Sample[], b: Sample[], figure = 'value'): Stats {
  return stats(a.map((sample, i) => sample[figure]! / b[i]![figure]!));
}

export function figure(samples: Sample[], name = 'value'): Stats {
  return stats(samples.map((sample) => sample[name]!));
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One GET on loopback with keep-alive (through `through`, default a shared agent); resolves with status, type and latency to the last byte (ms). */
export function get(url: string, headers: Record<string, string> = {}, through: http.Agent = agent): Promise<{ status: number; ms: number; bytes: number; type: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: through, headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - started, bytes, type: response.headers['content-type'] ?? '' }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** `once` run again and again, one after another, until `work` has ended and at least `minimum` times: their results. */
export async function repeatWhile<T>(work: () => Promise<unknown>, minimum: number, once: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let done = false;
  const running = work().finally(() => (done = true));
  while (!done || results.length < minimum) results.push(await once());
  await running;
  return results;
}

export function table(rows: Array<Record<string, string | number>>): string {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((row) => line(columns.map((c) => String(row[c]))))].join('\n');
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

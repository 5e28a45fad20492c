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

/** Ops per second of `count` runs of `task` with `concurrency` in flight. */
export async function throughput(count: number, concurrency: number, task: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < count) await task();
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One GET on loopback with keep-alive; resolves with status and latency (ms). */
export function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; ms: number; bytes: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - started, bytes }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

export function table(rows: Array<Record<string, string | number>>): string {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((row) => line(columns.map((c) => String(row[c]))))].join('\n');
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/**
 * Load on the local server (`shutter serve` as its own process, loopback, autocannon):
 * - held: its capacity is measured, then held for 20 s in 5-s windows: no error, no non-2xx,
 *   RSS growth bounded; p99 per window is recorded for the report (not asserted: timings).
 * - beyond: far more connections than renders + queue: the excess is shed at once with
 *   503 Server::Overloaded + Retry-After, the rest is served, nothing times out, and the server
 *   serves normally right after.
 * The soak (several minutes) is `npm run reliability:soak`, not part of CI.
 */
import { recordRow } from './report-store.js';
import { holdLoad, measureCapacity, overload, percentRound, startServeProcess, type ServeProcess } from './load-run.js';

/** Loose: libvips and the allocator settle within tens of MB; a leak over 20 s of renders shows as far more. */
const RSS_GROWTH_LIMIT_MB = 150;
const WINDOWS = Number(process.env.SHUTTER_LOAD_WINDOWS ?? 4);
const WINDOW_SECONDS = 5;

describe('held load at the measured capacity', () => {
  let server: ServeProcess;
  afterAll(async () => void (await server?.stop()));

  test(`${WINDOWS * WINDOW_SECONDS} s at capacity: no error, RSS growth bounded`, async () => {
    server = await startServeProcess();
    const capacity = await measureCapacity(server.url);
    const rssBefore = await server.rssMb();
    const windows = await holdLoad(server, { rate: Math.max(1, Math.floor(capacity)), windows: WINDOWS, windowSeconds: WINDOW_SECONDS });
    const rssAfter = windows.at(-1)!.rssMb;
    const total = windows.reduce((sum, window) => sum + window.requests, 0);

    recordRow('Load', 'Held at measured capacity (CI)', {
      'measured capacity req/s': percentRound(capacity),
      'held req/s': percentRound(total / (WINDOWS * WINDOW_SECONDS)),
      'held for s': WINDOWS * WINDOW_SECONDS,
      requests: total,
      errors: windows.reduce((sum, window) => sum + window.errors + window.timeouts, 0),
      'non-2xx': windows.reduce((sum, window) => sum + window.non2xx, 0),
      'p50 ms (first → last window)': `${windows[0]!.p50} → ${windows.at(-1)!.p50}`,
      'p99 ms by window': windows.map((window) => window.p99).join(' / '),
      'RSS MB before → after': `${rssBefore} → ${rssAfter}`,
    }, import.meta.filename);

    for (const window of windows) expect({ window: window.window, errors: window.errors, timeouts: window.timeouts, non2xx: window.non2xx }).toEqual({ window: window.window, errors: 0, timeouts: 0, non2xx: 0 });
    expect(total).toBeGreaterThan(0);
    expect(rssAfter - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT_MB);
  }, 120_000);
});

describe('overload beyond capacity', () => {
  let server: ServeProcess;
  afterAll(async () => void (await server?.stop()));

  test('is shed with 503 Server::Overloaded + Retry-After, not queued without limit', async () => {
    server = await startServeProcess({ MAX_CONCURRENT_RENDERS: '2', MAX_QUEUED_RENDERS: '4' });
    const rssBefore = await server.rssMb();
    const result = await overload(server.url, { connections: 48, seconds: 4 });
    const rssAfter = await server.rssMb();
    // Recovery: the requests admitted before the flood stopped drain within seconds; a client
    // that honours Retry-After is then served.
    let after = await fetch(`${server.url}/fit-in/100x100/coffee.jpg`);
    let retries = 0;
    for (const until = Date.now() + 20_000; after.status === 503 && Date.now() < until; retries++) {
      await new Promise((resolve) => setTimeout(resolve, Number(after.headers.get('retry-after')) * 1000));
      after = await fetch(`${server.url}/fit-in/100x100/coffee.jpg`);
    }

    recordRow('Load', 'Overload: 48 connections against 2 renders + 4 queued', {
      requests: result.requests,
      '200': result.statuses[200] ?? 0,
      '503 Server::Overloaded + Retry-After': result.statuses[503] ?? 0,
      'other statuses': Object.entries(result.statuses).filter(([status]) => status !== '200' && status !== '503').reduce((sum, [, count]) => sum + count, 0),
      'errors/timeouts': result.errors + result.timeouts,
      'p99 ms (all answers)': result.p99,
      'served after the flood': `${after.status} (after ${retries} Retry-After waits)`,
      'RSS MB before → after': `${rssBefore} → ${rssAfter}`,
    }, import.meta.filename);

    // Only served or shed: no 5xx of another kind, no 4xx, no dropped connection.
    expect(Object.keys(result.statuses).filter((status) => status !== '200' && status !== '503')).toEqual([]);
    expect(result.statuses[503]).toBeGreaterThan(0);
    expect(result.unclean503).toBe(0);
    expect(result.errors + result.timeouts).toBe(0);
    expect(after.status).toBe(200);
    expect(rssAfter - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT_MB * 2);
  }, 60_000);
});

/**
 * The soak: `shutter serve` held at its measured capacity for several minutes (default 5), with
 * a line per 10-s window (latency, RSS) and a row for docs/reliability.md. Not part of CI.
 *
 *   npm run reliability:soak                 5 minutes
 *   npm run reliability:soak -- --minutes 30
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { recordRow } from './report-store.js';
import { holdLoad, measureCapacity, percentRound, startServeProcess } from './load-run.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '5' }, share: { type: 'string', default: '1' } } });
const minutes = Number(values.minutes);
const share = Number(values.share); // of the measured capacity
const WINDOW_SECONDS = 10;

const server = await startServeProcess();
const capacity = await measureCapacity(server.url, 10);
const rate = Math.max(1, Math.floor(capacity * share));
const rssBefore = await server.rssMb();
console.log(`capacity ${percentRound(capacity)} req/s; holding ${rate} req/s for ${minutes} min; RSS ${rssBefore} MB`);
const windows = await holdLoad(server, {
  rate,
  windows: Math.max(1, Math.round((minutes * 60) / WINDOW_SECONDS)),
  windowSeconds: WINDOW_SECONDS,
  onWindow: (w) => console.log(`window ${w.window}: ${w.requests} req, errors ${w.errors + w.timeouts}, non-2xx ${w.non2xx}${w.non2xx ? ` ${JSON.stringify(w.statuses)}` : ''}, p50 ${w.p50} ms, p99 ${w.p99} ms, RSS ${w.rssMb} MB`),
});
const exitCode = await server.stop();
const total = windows.reduce((sum, w) => sum + w.requests, 0);
const failures = windows.reduce((sum, w) => sum + w.errors + w.timeouts + w.non2xx, 0);
const p99s = windows.map((w) => w.p99).sort((a, b) => a - b);
const statuses: Record<string, number> = {};
for (const w of windows) for (const [status, count] of Object.entries(w.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
const rssPeak = Math.max(...windows.map((w) => w.rssMb));
recordRow('Load', 'Soak at measured capacity (script, not in CI)', {
  'measured capacity req/s': percentRound(capacity),
  'held req/s': percentRound(total / (windows.length * WINDOW_SECONDS)),
  'held for s': windows.length * WINDOW_SECONDS,
  requests: total,
  'errors + non-2xx': failures,
  'non-2xx by status': Object.keys(statuses).length ? JSON.stringify(statuses) : 'none',
  'p99 ms: median window / worst window': `${p99s[Math.floor(p99s.length / 2)]} / ${p99s.at(-1)}`,
  'p99 ms: first → last window': `${windows[0]!.p99} → ${windows.at(-1)!.p99}`,
  'RSS MB before → after': `${rssBefore} → ${windows.at(-1)!.rssMb}`,
  'RSS MB peak': rssPeak,
  'clean exit on SIGTERM': exitCode === 0 ? 'yes' : `no (${exitCode})`,
}, path.join(import.meta.dirname, 'soak.ts')); // (run bundled: import.meta.filename is the bundle)
console.log(`${total} requests, ${failures} failures; RSS ${rssBefore} → ${windows.at(-1)!.rssMb} MB; exit ${exitCode}`);
process.exit(failures === 0 && exitCode === 0 ? 0 : 1);

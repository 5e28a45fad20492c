/**
 * Issue #13: one client sending 400s with 8 KB paths added 209 MB of access records in 15 s.
 * Replayed in process through the whole app and the local JSON-lines sink: what the flood adds to
 * the event log now, per request, and that the dashboards' weighted count still sees it whole.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createTestApp } from '../helpers/app.js';
import { recordRow } from './report-store.js';

const REQUESTS = 5000;

test(`${REQUESTS} bad requests with 8 KB paths: bounded records, sampled, counted right`, async () => {
  const t = await createTestApp();
  const longPath = `/${'x'.repeat(8180)}.bmp`;
  for (let i = 0; i < REQUESTS; i++) {
    const response = await t.app.handle({ method: 'GET', path: longPath, query: {}, headers: {} });
    expect(response.status).toBeLessThan(500);
  }
  // The server hands access records to the sink in batches (once a second): hand over what waits, then flush the sink.
  await t.app.flush();
  await t.platform.events.flush();
  const dir = path.join(t.dataDir, 'events');
  let bytes = 0;
  const rates: number[] = [];
  for (const partition of await readdir(dir)) {
    for (const file of await readdir(path.join(dir, partition))) {
      const full = path.join(dir, partition, file);
      bytes += (await stat(full)).size;
      for (const line of (await readFile(full, 'utf8')).split('\n').filter(Boolean)) rates.push((JSON.parse(line) as { data: { sample_rate: number } }).data.sample_rate);
    }
  }
  const weighted = rates.reduce((sum, rate) => sum + 1 / rate, 0);
  // Loose: before, each record held the whole 8 KB path (over 40 MB for this run).
  expect(bytes / REQUESTS).toBeLessThan(1000);
  // Sampling is random past the first 50 a second: the weighted count is right within a wide margin.
  expect(weighted).toBeGreaterThan(REQUESTS * 0.5);
  expect(weighted).toBeLessThan(REQUESTS * 1.5);
  recordRow(
    'Hostile input: on-demand attacks of issue #13',
    'Access records: 5000 requests answered 4xx, 8 KB paths, in process',
    { 'records kept': rates.length, 'event log bytes': bytes, 'bytes per request': Math.round(bytes / REQUESTS), 'weighted count (1 / sample_rate)': Math.round(weighted) },
    import.meta.filename,
  );
  await t.platform.events.close();
}, 120_000);

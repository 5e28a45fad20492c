import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyticsRoutes } from '../../../console/server/analytics-routes.js';
import { createApp } from '../../../console/server/app.js';
import { fixtureEvents } from '../../../analytics/fixture-events.js';
import { JsonlEventSink } from '../../../core/adapters/local/jsonl-event-sink.js';
import { TABLES } from '../../../analytics/tables.js';
import { createPlatform, createQueryEngine } from '../../../core/compose.js';
import { loadConfig } from '../../../core/config.js';

async function setup() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-analytics-'));
  const config = loadConfig({ SHUTTER_DATA_DIR: dataDir, SHUTTER_SEED_SAMPLES: 'No' });
  const sink = new JsonlEventSink({ dir: config.events.dir });
  await sink.publish([...fixtureEvents({ days: 2, uploadsPerDay: 10, requestsPerDay: 30 })]);
  await sink.close();
  const engine = createQueryEngine(config, TABLES);
  const app = createApp(createPlatform(config), analyticsRoutes(engine));
  const get = async (urlPath: string) => {
    const response = await app.handle({ method: 'GET', path: urlPath, query: {}, headers: {} });
    return { ...response, json: JSON.parse(String(response.body)) as Record<string, unknown> };
  };
  return { get, engine };
}

describe('GET /api/analytics', () => {
  test('lists the named queries', async () => {
    const { get, engine } = await setup();
    const response = await get('/api/analytics');
    expect(response.status).toBe(200);
    expect(response.json.engine).toBe('duckdb');
    expect(response.json.queries).toContainEqual({ name: 'uploads_per_day', title: 'Uploads per day', description: expect.any(String), url: '/api/analytics/uploads_per_day' });
    await engine.close();
  });

  test('GET /api/analytics/<query> answers its rows as JSON, cacheable for a minute', async () => {
    const { get, engine } = await setup();
    const response = await get('/api/analytics/uploads_per_day');
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json', 'Cache-Control': 'max-age=60' });
    expect(response.json).toMatchObject({ query: 'uploads_per_day', engine: 'duckdb' });
    expect(response.json.rows).toEqual([
      expect.objectContaining({ day: '2026-03-01', uploads: expect.any(Number) }),
      expect.objectContaining({ day: '2026-03-02' }),
    ]);
    expect(response.json.columns).toContainEqual({ name: 'uploads', type: 'BIGINT' });
    await engine.close();
  });

  test('an unknown query is a 404 with a stable code', async () => {
    const { get, engine } = await setup();
    for (const name of ['nope', '%E0%A4%A', '..%2F..%2Fetc']) {
      const response = await get(`/api/analytics/${name}`);
      expect(response.status).toBe(404);
      expect(response.json).toMatchObject({ code: 'Analytics::UnknownQuery' });
    }
    await engine.close();
  });
});

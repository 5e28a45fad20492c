/** The image handler's access records, end to end through the local JSON-lines sink. */
import { jest } from '@jest/globals';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../../console/server/app.js';
import type { HttpRequest } from '../../api/http.js';
import { createPlatform, type Platform } from '../../core/compose.js';
import { loadConfig } from '../../core/config.js';
import type { ShutterEvent } from '../../core/ports/event-sink.js';
import { samplePhoto } from '../helpers/images.js';

async function setup(env: Record<string, string> = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-access-'));
  const platform: Platform = createPlatform(loadConfig({ SHUTTER_DATA_DIR: dataDir, ...env }));
  await platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'), { contentType: 'image/jpeg' });
  const app = createApp(platform);
  const get = (urlPath: string, init: Partial<HttpRequest> = {}) => {
    const [pathPart = '/', search = ''] = urlPath.split('?', 2);
    return app.handle({ method: 'GET', path: pathPart, query: Object.fromEntries(new URLSearchParams(search)), headers: {}, ...init });
  };
  const records = async (): Promise<ShutterEvent[]> => {
    await app.flush(); // records wait for their batch (DEFAULTS.accessBatchMs) otherwise
    await platform.events.flush();
    const dir = path.join(dataDir, 'events');
    const events: ShutterEvent[] = [];
    for (const partition of await readdir(dir).catch(() => [])) {
      for (const file of await readdir(path.join(dir, partition))) {
        events.push(...(await readFile(path.join(dir, partition, file), 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as ShutterEvent));
      }
    }
    return events;
  };
  return { platform, app, get, records };
}

describe('access records of the image API', () => {
  test('each request is recorded with status, image, format, bytes and cache; a 304 is a cache hit; an error carries its code', async () => {
    const { get, records, platform } = await setup();
    const rendered = await get('/astronaut.jpg?width=64&format=webp');
    expect(rendered.status).toBe(200);
    const revalidated = await get('/astronaut.jpg?width=64&format=webp', { headers: { 'if-none-match': rendered.headers.ETag! } });
    expect(revalidated.status).toBe(304);
    expect((await get('/missing.jpg')).status).toBe(404);

    const served = (await records()).filter((event) => event.type === 'image.request.served');
    expect(served.map((event) => event.data)).toEqual([
      expect.objectContaining({ method: 'GET', path: '/astronaut.jpg', status: 200, image: { bucket: 'images', key: 'astronaut.jpg' }, format: 'webp', bytes: (rendered.body as Buffer).length, cache: 'miss', sample_rate: 1 }),
      expect.objectContaining({ status: 304, bytes: 0, cache: 'hit' }),
      expect.objectContaining({ status: 404, error_code: 'NoSuchKey', image: { bucket: 'images', key: 'missing.jpg' } }),
    ]);
    expect(served[0]!.subject).toBe('images/astronaut.jpg');
    expect(served[0]!.data.duration_ms).toBeGreaterThan(0);
    await platform.events.close();
  });

  test('EVENTS_ACCESS_SAMPLE_RATE=0 records nothing', async () => {
    const { get, records, platform } = await setup({ EVENTS_ACCESS_SAMPLE_RATE: '0' });
    await get('/astronaut.jpg?width=32');
    expect(await records()).toEqual([]);
    await platform.events.close();
  });
});

describe('access records: batched for the local sink', () => {
  test('requests within a second reach the sink in one publish (one fsync), not one each; flush hands them over at once', async () => {
    const { platform, app, get, records } = await setup();
    const publish = jest.spyOn(platform.events, 'publish');
    for (const width of [30, 31, 32]) expect((await get(`/astronaut.jpg?width=${width}`)).status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(publish).not.toHaveBeenCalled();
    await app.flush();
    expect(publish).toHaveBeenCalledTimes(1);
    expect(publish.mock.calls[0]![0]).toHaveLength(3);
    publish.mockRestore();
    expect((await records()).filter((event) => event.type === 'image.request.served')).toHaveLength(3);
  });
});

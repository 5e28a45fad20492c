/**
 * What one small render's request costs the event loop besides the render, counted (not timed, so
 * a loaded machine cannot flake it): promises made and trips through libuv's thread pool. Each is a
 * wake-up or a microtask on the main thread that a small render shares with every other request
 * (bench/README.md, "Session 7: small images at 8 in flight": the request path went from 83 promises
 * and 5 pool trips per image to 39 and 3; session 8, libvips reading the open file itself: 37 and 2).
 * A change that adds to them shows here.
 */
import { createHook } from 'node:async_hooks';
import { createTestApp } from '../helpers/app.js';
import { samplePhoto } from '../helpers/images.js';

test('a small render over local storage: at most 38 promises and 2 trips through the pool (open; the render, which reads the file)', async () => {
  const t = await createTestApp({ RESULT_CACHE_MB: '0', EVENTS_ACCESS_SAMPLE_RATE: '1' });
  await t.platform.storage.put('images', 'photo.jpg', samplePhoto('coffee'));
  // Sidecar, header facts, schemas and the lazy modules: all known after the first requests.
  for (const width of [30, 31]) expect((await t.request(`/photo.jpg?width=${width}&format=jpeg`)).status).toBe(200);

  const created = new Map<string, number>();
  const hook = createHook({
    init(_id, type) {
      created.set(type, (created.get(type) ?? 0) + 1);
    },
  });
  const counts: Array<Record<string, number>> = [];
  for (const width of [32, 33, 34]) {
    created.clear();
    hook.enable();
    const response = await t.request(`/photo.jpg?width=${width}&format=jpeg`);
    hook.disable();
    expect(response.status).toBe(200);
    counts.push(Object.fromEntries(created));
  }
  // The fewest of three: a timer or GC callback landing in one request's count is not its own.
  const least = (type: string) => Math.min(...counts.map((count) => count[type] ?? 0));
  const poolTrips = ['FSREQCALLBACK', 'FSREQPROMISE', 'FILEHANDLECLOSEREQ', 'generic'].reduce((sum, type) => sum + least(type), 0);
  expect({ promises: least('PROMISE') <= 38, poolTrips }).toEqual({ promises: true, poolTrips: 2 });
});

import { jest } from '@jest/globals';
import { Readable } from 'node:stream';
import { createImageHandler } from '../../api/image-handler.js';
import { createRenderGate, renderShare } from '../../api/render-gate.js';
import { ResultCache } from '../../api/result-cache.js';
import type { HttpRequest } from '../../api/http.js';
import { base64Path, createTestApp, type TestApp } from '../helpers/app.js';
import { imageInfo, makeImage, samplePhoto } from '../helpers/images.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await t.platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'), { contentType: 'image/jpeg' });
  await t.platform.storage.put('images', 'corrupt.jpg', samplePhoto('coffee').subarray(0, 2000));
});

const get = (path: string, headers: Record<string, string> = {}): HttpRequest => {
  const [pathPart = '/', search = ''] = path.split('?', 2);
  return { method: 'GET', path: pathPart, query: Object.fromEntries(new URLSearchParams(search)), headers };
};

const bytesOf = async (body: unknown) => (body instanceof Readable ? Buffer.concat(await body.toArray()) : (body as Buffer));

describe('image handler: result cache', () => {
  test('a repeated request is answered from the cache, with the same bytes and validators', async () => {
    const cache = new ResultCache({ maxBytes: 10 * 1024 * 1024, maxEntryBytes: 1024 * 1024 });
    const handle = createImageHandler(t.platform, { resultCache: cache });
    const read = jest.spyOn(t.platform.storage, 'withFile');
    const first = await handle(get('/astronaut.jpg?width=120&format=webp'));
    const second = await handle(get('/astronaut.jpg?width=120&format=webp'));
    expect(read).toHaveBeenCalledTimes(1);
    read.mockRestore();
    expect(cache.stats()).toMatchObject({ entries: 1, hits: 1 });
    expect(second.status).toBe(200);
    expect((second.body as Buffer).equals(first.body as Buffer)).toBe(true);
    for (const name of ['ETag', 'Last-Modified', 'Content-Type', 'Cache-Control']) expect(second.headers[name]).toBe(first.headers[name]);
    expect(await imageInfo(second.body as Buffer)).toMatchObject({ format: 'webp', width: 120 });
  });

  test('a changed source is rendered again: new ETag, new pixels, old results dropped', async () => {
    await t.platform.storage.put('images', 'changing.png', await makeImage(64, 64, 'png', '#ff0000'));
    const cache = new ResultCache({ maxBytes: 10 * 1024 * 1024, maxEntryBytes: 1024 * 1024 });
    const handle = createImageHandler(t.platform, { resultCache: cache });
    const before = await handle(get('/changing.png?width=32'));
    await handle(get('/changing.png?width=16'));
    expect(cache.stats().entries).toBe(2);

    await t.platform.storage.put('images', 'changing.png', await makeImage(64, 64, 'png', '#0000ff'));
    const after = await handle(get('/changing.png?width=32'));
    expect(after.headers.ETag).not.toBe(before.headers.ETag);
    const { data } = await (await import('sharp')).default(after.body as Buffer).raw().toBuffer({ resolveWithObject: true });
    expect([data[0], data[2]]).toEqual([0, 255]); // blue now, not the cached red
    // Both renders of the old version are gone; only the new one is kept.
    expect(cache.stats().entries).toBe(1);
    // A client holding the old ETag gets the new image, not a 304.
    const revalidated = await handle(get('/changing.png?width=32', { 'if-none-match': before.headers.ETag! }));
    expect(revalidated.status).toBe(200);
  });

  test('a source replaced by one of other dimensions and orientation is planned from its new header, without a result cache', async () => {
    const handle = createImageHandler(t.platform, { resultCache: null });
    await t.platform.storage.put('images', 'reshaped.jpg', await makeImage(200, 100, 'jpeg'));
    // Two widths of one version: the second is planned from the header facts remembered by ETag.
    for (const width of [50, 60]) {
      const response = await handle(get(`/reshaped.jpg?width=${width}&height=${width}&fit=inside`));
      expect(await imageInfo(response.body as Buffer)).toMatchObject({ width, height: width / 2 });
    }
    // Replaced: a portrait photo stored landscape with EXIF orientation 6 (turn 90° clockwise).
    const sharp = (await import('sharp')).default;
    const turned = await sharp({ create: { width: 300, height: 100, channels: 3, background: '#00ff00' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    await t.platform.storage.put('images', 'reshaped.jpg', turned);
    const response = await handle(get('/reshaped.jpg?width=60&height=60&fit=inside'));
    expect(response.status).toBe(200);
    expect(await imageInfo(response.body as Buffer)).toMatchObject({ width: 20, height: 60 });
    // A crop planned from stale dimensions (200 × 100) would be refused; from the new ones (100 × 300) it fits.
    const cropped = await handle(get(base64Path({ bucket: 'images', key: 'reshaped.jpg', edits: { extract: { left: 0, top: 150, width: 100, height: 150 } } })));
    expect(cropped.status).toBe(200);
    expect(await imageInfo(cropped.body as Buffer)).toMatchObject({ width: 100, height: 150 });
  });

  test('If-None-Match still answers 304 when the result is cached', async () => {
    const handle = createImageHandler(t.platform, { resultCache: new ResultCache({ maxBytes: 1 << 24, maxEntryBytes: 1 << 22 }) });
    const first = await handle(get('/60x60/astronaut.jpg'));
    const revalidated = await handle(get('/60x60/astronaut.jpg', { 'if-none-match': first.headers.ETag! }));
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.ETag).toBe(first.headers.ETag);
  });

  test('RESULT_CACHE_MB=0 turns the cache off: every request reads and renders', async () => {
    const app = await createTestApp({ RESULT_CACHE_MB: '0' });
    await app.platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'));
    const read = jest.spyOn(app.platform.storage, 'withFile');
    await app.request('/astronaut.jpg?width=50');
    await app.request('/astronaut.jpg?width=50');
    expect(read).toHaveBeenCalledTimes(2);
  });

  test('errors are not cached', async () => {
    const cache = new ResultCache({ maxBytes: 1 << 24, maxEntryBytes: 1 << 22 });
    const handle = createImageHandler(t.platform, { resultCache: cache });
    expect((await handle(get('/corrupt.jpg?width=50'))).status).toBe(422);
    expect((await handle(get('/corrupt.jpg?width=50'))).status).toBe(422);
    expect(cache.stats().entries).toBe(0);
  });
});

describe('image handler: request coalescing', () => {
  test('identical requests in flight share one read and one render', async () => {
    const handle = createImageHandler(t.platform, { resultCache: null });
    const read = jest.spyOn(t.platform.storage, 'withFile');
    const answers = await Promise.all(Array.from({ length: 5 }, () => handle(get('/astronaut.jpg?width=90&format=png'))));
    expect(read).toHaveBeenCalledTimes(1);
    read.mockRestore();
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect((answer.body as Buffer).equals(answers[0]!.body as Buffer)).toBe(true);
    }
    expect(await imageInfo(answers[0]!.body as Buffer)).toMatchObject({ format: 'png', width: 90 });
  });

  test('different requests are not merged, and each keeps its own headers', async () => {
    const handle = createImageHandler(t.platform, { resultCache: null });
    const [a, b] = await Promise.all([handle(get('/astronaut.jpg?width=40')), handle(get('/astronaut.jpg?width=41'))]);
    expect(await imageInfo(a.body as Buffer)).toMatchObject({ width: 40 });
    expect(await imageInfo(b.body as Buffer)).toMatchObject({ width: 41 });
    expect(a.headers.ETag).not.toBe(b.headers.ETag);
  });

  test('a failure reaches every coalesced caller as its own error answer', async () => {
    const handle = createImageHandler(t.platform, { resultCache: null });
    const answers = await Promise.all(Array.from({ length: 3 }, () => handle(get('/corrupt.jpg?width=30'))));
    expect(answers.map((answer) => answer.status)).toEqual([422, 422, 422]);
  });

  test('without coalescing, each request reads on its own', async () => {
    const handle = createImageHandler(t.platform, { resultCache: null, coalesce: false });
    // A local source is opened (withFile) rather than read (get): each request opens its own.
    const read = jest.spyOn(t.platform.storage, 'withFile');
    await Promise.all(Array.from({ length: 3 }, () => handle(get('/astronaut.jpg?width=70'))));
    expect(read).toHaveBeenCalledTimes(3);
    read.mockRestore();
  });
});

describe('image handler: memory under a burst', () => {
  test('sources are read one per render that can run; the rest of a burst waits without loading its image', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const storage = Object.create(t.platform.storage) as typeof t.platform.storage;
    // Opened as a file (withFile) or read (get): a source held either way counts.
    storage.get = async (...args) => {
      reads++;
      await gate;
      return t.platform.storage.get(...args);
    };
    storage.withFile = async (...args) => {
      reads++;
      await gate;
      return t.platform.storage.withFile!(...args);
    };
    const handle = createImageHandler({ ...t.platform, storage }, { resultCache: null });
    const burst = Array.from({ length: 10 }, (_, i) => handle(get(`/astronaut.jpg?width=${20 + i}`)));
    const tick = () => new Promise((resolve) => setTimeout(resolve, 10));
    // A deadline, not a count of ticks: on a busy machine the eighth read may take seconds to start.
    for (const deadline = Date.now() + 30_000; reads < 8 && Date.now() < deadline; ) await tick();
    for (let i = 0; i < 5; i++) await tick(); // room for any read beyond the bound to show up
    // MAX_CONCURRENT_RENDERS is 2 by default and small sources render 4 per slot (render-gate.ts):
    // one source per render that can run may be in memory, 2 × 4.
    expect(reads).toBe(8);
    release();
    const answers = await Promise.all(burst);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(reads).toBe(10);
  });
});

describe('image handler: render slots as a pixel budget', () => {
  /**
   * The gate of one render slot, recording how many renders ran at once at most. Each render is
   * held until both have asked the gate for their turn (the second one then runs or waits, as the
   * gate decides): a fixed pause let a busy machine bring the second request after the first had
   * finished, and two renders that may overlap were counted as one at a time.
   */
  function oneSlotGate(expected = 2) {
    const gate = createRenderGate({ maxConcurrentRenders: 1, maxQueuedRenders: 16 });
    let peak = 0;
    let asked = 0;
    const run = gate.renders.run.bind(gate.renders);
    gate.renders.run = (task, weight) => {
      // `run` takes its units or queues synchronously, so once `asked` counts a render the gate has decided for it.
      const turn = run(async () => {
        for (const deadline = Date.now() + 30_000; asked < expected && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 5));
        peak = Math.max(peak, gate.renders.running);
        return task();
      }, weight);
      asked++;
      return turn;
    };
    return { gate, peak: () => peak };
  }

  test("small sources share a slot; two sources over half the slot's pixels each take turns", async () => {
    await t.platform.storage.put('images', 'large.jpg', await makeImage(2500, 2000, 'jpeg'), { contentType: 'image/jpeg' });
    const small = oneSlotGate();
    const handleSmall = createImageHandler(t.platform, { resultCache: null, gate: small.gate });
    const smallAnswers = await Promise.all([handleSmall(get('/astronaut.jpg?width=50')), handleSmall(get('/astronaut.jpg?width=51'))]);
    expect(smallAnswers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(small.peak()).toBe(2);

    const large = oneSlotGate();
    const handleLarge = createImageHandler(t.platform, { resultCache: null, gate: large.gate });
    const largeAnswers = await Promise.all([handleLarge(get('/large.jpg?width=50')), handleLarge(get('/large.jpg?width=51'))]);
    expect(largeAnswers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(large.peak()).toBe(1);
  });

  test("a render's share: its pixels over the slot's, between a quarter of a slot and one", () => {
    expect(renderShare({ width: 512, height: 512, pages: 1 })).toBe(0.25);
    expect(renderShare({ width: 1600, height: 1200, pages: 1 })).toBe(0.25); // 2 MP: 8 at once on 2 slots
    expect(renderShare({ width: 3000, height: 2000, pages: 1 })).toBe(0.75);
    expect(renderShare({ width: 4000, height: 3000, pages: 1 })).toBe(1); // 12 MP: 2 at once, as ever
    // Every frame of an animation is decoded: 40 frames of 400×300 weigh like 4.8 MP.
    expect(renderShare({ width: 400, height: 300, pages: 40 })).toBe(0.6);
    expect(renderShare({ width: 400, height: 300, pages: 80 })).toBe(1);
    expect(renderShare({ width: 400, height: 300, pages: 40 }, false)).toBe(0.25);
  });
});

describe('image handler: pass-through streams the stored object', () => {
  test('no edits: a stream of the stored bytes, with the stored type', async () => {
    const handle = createImageHandler(t.platform);
    const [opened, read] = [jest.spyOn(t.platform.storage, 'withFile'), jest.spyOn(t.platform.storage, 'get')];
    const answer = await handle(get('/astronaut.jpg'));
    expect(opened).not.toHaveBeenCalled();
    expect(read).not.toHaveBeenCalled();
    opened.mockRestore();
    read.mockRestore();
    expect(answer.body).toBeInstanceOf(Readable);
    expect(answer.headers['Content-Type']).toBe('image/jpeg');
    expect((await bytesOf(answer.body)).equals(samplePhoto('astronaut'))).toBe(true);
    const revalidated = await handle(get('/astronaut.jpg', { 'if-none-match': answer.headers.ETag! }));
    expect(revalidated.status).toBe(304);
  });

  test('an object without an image type is sniffed from its bytes instead', async () => {
    await t.platform.storage.put('images', 'mystery', await makeImage(8, 8, 'png'), { contentType: 'application/octet-stream' });
    const answer = await createImageHandler(t.platform)(get('/mystery'));
    expect(answer.status).toBe(200);
    expect(answer.headers['Content-Type']).toBe('image/png');
  });

  test('a missing object is still SIH’s 404', async () => {
    const answer = await createImageHandler(t.platform)(get('/nowhere.jpg'));
    expect(answer.status).toBe(404);
  });
});

/**
 * A local source handed to libvips as its open descriptor (`/proc/self/fd/N`, see
 * `core/pipeline/source-file.ts`): the same answers as from its bytes, never another file's
 * pixels through a reused descriptor number, and no descriptor left open on any path.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { createImageHandler, type ImageHandler } from '../../api/image-handler.js';
import type { HttpResponse } from '../../api/http.js';
import { FsStorage } from '../../core/adapters/local/fs-storage.js';
import { configureSharp } from '../../core/pipeline/sharp-factory.js';
import { descriptorFolder, libvipsCacheOff, OPEN_DESCRIPTORS } from '../../core/pipeline/source-file.js';
import type { StoredFile, StoredObject } from '../../core/ports/storage.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { jpegDeclaring, pngHeaderOnly, svgDeclaring } from '../helpers/hostile-images.js';
import { samplePhoto } from '../helpers/images.js';

/** FsStorage that notes the descriptors it hands out, and can hold a request with its file open. */
class WatchedStorage extends FsStorage {
  readonly fds: number[] = [];
  files = 0;
  hold: Promise<void> | undefined;
  held: (() => void) | undefined;

  override withFile<T>(bucket: string, key: string, options: { maxBytes?: number }, use: (object: StoredFile | StoredObject) => Promise<T>): Promise<T> {
    return super.withFile(bucket, key, options, async (object) => {
      if ('fd' in object) {
        this.files++;
        this.fds.push(object.fd);
      }
      this.held?.();
      if (this.hold) await this.hold;
      return use(object);
    });
  }

  /** The next request waits, its file open, until the returned function is called; `opened` resolves once it holds it. */
  holdNext(): { opened: Promise<void>; release: () => void } {
    let release!: () => void;
    this.hold = new Promise((resolve) => (release = resolve));
    const opened = new Promise<void>((resolve) => (this.held = resolve));
    return {
      opened,
      release: () => {
        this.hold = undefined;
        this.held = undefined;
        release();
      },
    };
  }
}

const openDescriptors = () => readdirSync(OPEN_DESCRIPTORS).length;

/** Waits (generously: a loaded machine) until the process holds `count` descriptors again. */
async function descriptorsBackTo(count: number): Promise<number> {
  for (let waited = 0; waited < 20_000 && openDescriptors() !== count; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  return openDescriptors();
}

const solid = (r: number, g: number, b: number) => sharp({ create: { width: 64, height: 48, channels: 3, background: { r, g, b } } }).jpeg().toBuffer();

async function meanColour(body: HttpResponse['body']): Promise<number[]> {
  const { channels } = await sharp(body as Buffer).stats();
  return channels.slice(0, 3).map((channel) => Math.round(channel.mean));
}

const get = (handle: ImageHandler, url: string) => {
  const [pathname = '/', search = ''] = url.split('?');
  return handle({ method: 'GET', path: pathname, query: Object.fromEntries(new URLSearchParams(search)), headers: {} });
};

let t: TestApp;
let storage: WatchedStorage;
beforeAll(async () => {
  t = await createTestApp({ RESULT_CACHE_MB: '0' });
  storage = new WatchedStorage(path.join(t.dataDir, 'buckets'));
  await storage.put('images', 'red.jpg', await solid(230, 20, 20));
  await storage.put('images', 'blue.jpg', await solid(20, 20, 230));
  await storage.put('images', 'photo.jpg', samplePhoto('coffee'));
});

describe('libvips is handed the open file only when that is safe', () => {
  test('the platform runs libvips with its cache fully off (memory, files and items 0)', () => {
    const { memory, files, items } = sharp.cache();
    expect({ memory: memory.max, files: files.max, items: items.max }).toEqual({ memory: 0, files: 0, items: 0 });
    expect(libvipsCacheOff()).toBe(true);
    expect(descriptorFolder()).toBe(OPEN_DESCRIPTORS);
  });

  test('with libvips cache on, or no /proc/self/fd (not Linux), sources are read as bytes, with the same answers', async () => {
    const handle = createImageHandler({ ...t.platform, storage }, { resultCache: null });
    const before = storage.files;
    try {
      sharp.cache({ memory: 50, files: 20, items: 100 });
      expect(descriptorFolder()).toBeUndefined();
      const response = await get(handle, '/red.jpg?width=32&format=png');
      expect(response.status).toBe(200);
      expect(await meanColour(response.body)).toEqual([expect.closeTo(230, -1), expect.closeTo(20, -1), expect.closeTo(20, -1)]);
    } finally {
      configureSharp();
    }
    expect(descriptorFolder('/no/such/proc/self/fd')).toBeUndefined();
    const elsewhere = createImageHandler({ ...t.platform, storage }, { resultCache: null, descriptors: '/no/such/proc/self/fd' });
    const response = await get(elsewhere, '/blue.jpg?width=32&format=png');
    expect(response.status).toBe(200);
    expect(await meanColour(response.body)).toEqual([expect.closeTo(20, -1), expect.closeTo(20, -1), expect.closeTo(230, -1)]);
    expect(storage.files).toBe(before);
  });

  test('two different sources opened in turn under the same descriptor number each render their own pixels', async () => {
    const handle = createImageHandler({ ...t.platform, storage }, { resultCache: null });
    storage.fds.length = 0;
    for (let round = 0; round < 3; round++) {
      for (const [key, colour] of [
        ['red.jpg', [230, 20, 20]],
        ['blue.jpg', [20, 20, 230]],
      ] as const) {
        // Same width and format each time: the same libvips operation but for the file behind the name.
        const response = await get(handle, `/${key}?width=40&format=png`);
        expect(response.status).toBe(200);
        expect(await meanColour(response.body)).toEqual(colour.map((value) => expect.closeTo(value, -1)));
      }
    }
    // Requests one after another: the kernel gave every one the same lowest free number.
    expect(storage.fds).toHaveLength(6);
    expect(new Set(storage.fds).size).toBe(1);
  });
});

describe('no descriptor is left open', () => {
  test('after a render, a corrupt image, an unsupported file, a source over the size limit', async () => {
    await storage.put('images', 'corrupt.jpg', Buffer.concat([samplePhoto('coffee').subarray(0, 3000), Buffer.alloc(4000, 0x55)]));
    await storage.put('images', 'text.jpg', Buffer.from('hello, I am text'));
    const handle = createImageHandler({ ...t.platform, storage }, { resultCache: null });
    expect((await get(handle, '/photo.jpg?width=50')).status).toBe(200);
    const baseline = openDescriptors();
    const files = storage.files;
    expect((await get(handle, '/photo.jpg?width=51')).status).toBe(200);
    expect((await get(handle, '/corrupt.jpg?width=50')).status).toBe(422);
    expect((await get(handle, '/text.jpg?width=50')).status).toBe(415);
    const small = createImageHandler({ ...t.platform, storage, config: { ...t.platform.config, limits: { ...t.platform.config.limits, maxSourceBytes: 1000 } } }, { resultCache: null });
    expect((await get(small, '/photo.jpg?width=52')).status).toBe(413);
    expect(storage.files).toBe(files + 3);
    expect(await descriptorsBackTo(baseline)).toBe(baseline);
  });

  test('after a deadline abort (the 503 answered while the file is open) and a shed request', async () => {
    // Warmed by a handler without the short deadline: on a loaded machine a render may take longer than it.
    expect((await get(createImageHandler({ ...t.platform, storage }, { resultCache: null }), '/photo.jpg?width=60')).status).toBe(200);
    const limits = { ...t.platform.config.limits, requestTimeoutMs: 500 };
    const config = { ...t.platform.config, limits, maxConcurrentRenders: 1, maxQueuedRenders: 0 };
    const handle = createImageHandler({ ...t.platform, storage, config }, { resultCache: null });
    const baseline = openDescriptors();

    const { opened, release } = storage.holdNext();
    const slow = get(handle, '/photo.jpg?width=61');
    await opened;
    expect(openDescriptors()).toBe(baseline + 1);
    // The one admitted request holds the only place: the next is shed before it opens anything.
    const shed = await get(handle, '/photo.jpg?width=62');
    expect(shed.status).toBe(503);
    expect(JSON.parse(String(shed.body))).toMatchObject({ code: 'Server::Overloaded' });
    expect(openDescriptors()).toBe(baseline + 1);
    // Past its deadline the held request is answered while its file is still open...
    const timedOut = await slow;
    expect(timedOut.status).toBe(503);
    expect(JSON.parse(String(timedOut.body))).toMatchObject({ code: 'Server::Timeout' });
    expect(openDescriptors()).toBe(baseline + 1);
    // ...and the file is closed once its work settles (it does not render past its deadline).
    release();
    expect(await descriptorsBackTo(baseline)).toBe(baseline);
  });
});

describe('the open file gives the bytes answer, errors included', () => {
  const jpeg = samplePhoto('coffee');
  const cases: Array<[string, () => Promise<Buffer> | Buffer]> = [
    ['a JPEG', () => jpeg],
    ['a PNG', () => sharp(jpeg).resize(200).png().toBuffer()],
    ['a WebP', () => sharp(jpeg).resize(200).webp().toBuffer()],
    ['a GIF', () => sharp(jpeg).resize(200).gif().toBuffer()],
    ['a TIFF', () => sharp(jpeg).resize(200).tiff().toBuffer()],
    ['an AVIF', () => sharp(jpeg).resize(200).avif({ effort: 0 }).toBuffer()],
    ['an SVG', () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><rect width="40" height="30" fill="#0a0"/></svg>')],
    ['an SVG over its cost budget', () => svgDeclaring(20000, 20000)],
    ['a JPEG declaring 30000×30000', () => jpegDeclaring(30000, 30000)],
    ['a PNG header alone', () => pngHeaderOnly(100, 100)],
    ['an empty file', () => Buffer.alloc(0)],
    ['text', () => Buffer.from('P2\n2 2\n255\n0 255\n255 0\n')],
    ['a libvips matrix (a file-only loader)', () => Buffer.from('2 2\n1 2\n3 4\n')],
    ['a libvips .v header', () => Buffer.concat([Buffer.from([0x08, 0xf2, 0xa6, 0xb6]), Buffer.alloc(60, 0)])],
  ];
  for (const cut of [100, 1000, 5000, 20000]) cases.push([`a JPEG cut at ${cut} bytes`, () => jpeg.subarray(0, cut)]);
  for (const at of [10, 200, 3000]) {
    cases.push([`a JPEG with byte ${at} flipped`, () => Buffer.from(jpeg.map((byte, index) => (index === at ? byte ^ 0xff : byte)))]);
  }
  for (const format of ['png', 'webp', 'gif', 'tiff'] as const) {
    cases.push([`a ${format} cut in half`, async () => {
      const whole = await sharp(jpeg).resize(120).toFormat(format).toBuffer();
      return whole.subarray(0, whole.length >> 1);
    }]);
  }

  test.each(cases)('%s', async (_name, make) => {
    const key = `same-${_name.replace(/\W+/g, '-')}.jpg`;
    await storage.put('images', key, await make());
    const fromFile = createImageHandler({ ...t.platform, storage }, { resultCache: null });
    const fromBytes = createImageHandler({ ...t.platform, storage }, { resultCache: null, descriptors: null });
    for (const query of ['width=40&format=png', 'width=40', 'width=41&height=20&fit=cover&format=jpeg']) {
      const [file, bytes] = [await get(fromFile, `/${key}?${query}`), await get(fromBytes, `/${key}?${query}`)];
      expect(file.status).toBe(bytes.status);
      // Every header: ETag, Last-Modified, Cache-Control, Content-Type...
      expect(file.headers).toEqual(bytes.headers);
      if (bytes.status === 200) {
        const [a, b] = await Promise.all([sharp(file.body as Buffer).metadata(), sharp(bytes.body as Buffer).metadata()]);
        expect({ width: a.width, height: a.height, format: a.format }).toEqual({ width: b.width, height: b.height, format: b.format });
      } else {
        expect(String(file.body)).toBe(String(bytes.body));
        expect(String(file.body)).not.toMatch(/\/proc\/|\/fd\//);
      }
    }
  });
});

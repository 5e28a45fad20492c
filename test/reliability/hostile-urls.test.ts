/**
 * Fuzzed and property-based URLs against every door, in process (fast, tens of thousands of
 * cases) and a share over real HTTP (what the transport adds: header writing, raw request
 * targets). Properties: never a 5xx for client input (bar the documented 501 of a feature
 * configured off), never an exception escaping the handler, never a hang past the request
 * timeout, and every error a JSON body with a code from the known list.
 *
 * Sources are tiny and MAX_OUTPUT_DIMENSION is 256 so that requests which pass validation
 * render in milliseconds; the limits logic is the same at any size. `SHUTTER_FUZZ_SCALE=10`
 * runs ten times as many cases (soak).
 */
import { jest } from '@jest/globals';
import fc from 'fast-check';
import { connect } from 'node:net';
import sharp from 'sharp';
import { startServer, type LocalServer } from '../../api/local-server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeImage } from '../helpers/images.js';
import { base64Of, basePath, customPath, defaultRequest, edits, query, thumborPath } from './arbitraries.js';
import { judge, probe, Tally, type Outcome } from './probe.js';
import { recordRow, rssMb } from './report-store.js';

const SCALE = Number(process.env.SHUTTER_FUZZ_SCALE ?? 1);
const runs = (count: number) => Math.max(1, Math.round(count * SCALE));
const TIMEOUT_MS = 25_000;
const HANG_GUARD_MS = TIMEOUT_MS + 2_000;
const ENV = { MAX_OUTPUT_DIMENSION: '256', REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) };

let t: TestApp;
let custom: TestApp;
let server: LocalServer;
const rssBefore = rssMb();
const tallies = new Map<string, Tally>();
const tally = (category: string) => tallies.get(category) ?? tallies.set(category, new Tally()).get(category)!;
let unhandled = 0;
const onUnhandled = () => void unhandled++;

async function seed(app: TestApp): Promise<void> {
  const strip = await sharp({ create: { width: 16, height: 48, channels: 4, background: '#f00' } }).raw().toBuffer();
  const storage = app.platform.storage;
  await storage.put('images', 'a.jpg', await makeImage(24, 16, 'jpeg'));
  await storage.put('images', 'b.png', await makeImage(24, 16, 'png', '#ff000080'));
  await storage.put('images', 'anim.gif', await sharp(strip, { raw: { width: 16, height: 48, channels: 4, pageHeight: 16 } }).gif().toBuffer());
  await storage.put('images', 'dir/c.webp', await makeImage(20, 30, 'webp'));
  await storage.put('images', 'w.png', await makeImage(8, 8, 'png', '#00ff00'));
  await storage.put('images', 'dot.gif', await makeImage(1, 1, 'gif'));
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  // The handler logs server-side failures; client input must not cause any, and the noise would bury jest's output.
  jest.spyOn(console, 'error').mockImplementation(() => {});
  t = await createTestApp(ENV);
  custom = await createTestApp({ ...ENV, REWRITE_MATCH_PATTERN: '/(filters-)/gm', REWRITE_SUBSTITUTION: 'filters:' });
  await seed(t);
  await seed(custom);
  server = await startServer(t.app.handle, { port: 0, host: '127.0.0.1', requestTimeoutMs: TIMEOUT_MS });
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
  await server?.close();
  const all = new Tally();
  for (const [category, counts] of tallies) {
    recordRow('Hostile input', category, counts.row(), import.meta.filename);
    all.merge(counts);
  }
  recordRow('Hostile input', 'URLs, all doors (total)', all.row({ 'RSS before/after MB': `${rssBefore} / ${rssMb()}` }), import.meta.filename);
});

/** Runs a property over `arbitrary`, probing each case in process, counting it under `category`. */
async function fuzz<T>(category: string, arbitrary: fc.Arbitrary<T>, numRuns: number, toRequest: (value: T) => { path: string; query?: Record<string, string>; headers?: Record<string, string> }, app = () => t) {
  const counts = tally(category);
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      const outcome = await probe(app().app, toRequest(value), HANG_GUARD_MS);
      counts.add(outcome);
      if (outcome.violation) throw new Error(`${outcome.violation}\nrequest: ${JSON.stringify(toRequest(value))}`);
    }),
    { numRuns },
  );
  expect(counts.serverErrors + counts.crashes + counts.hangs).toBe(0);
  expect(unhandled).toBe(0);
}

describe('Default door (base64 JSON)', () => {
  test('random JSON values, base64-encoded', () => fuzz('Default: random JSON', fc.jsonValue(), runs(3000), (value) => ({ path: base64Of(value) })), 600_000);

  test('SIH request objects with random edits and values', () => fuzz('Default: random edits', defaultRequest, runs(5000), (value) => ({ path: base64Of(value) })), 600_000);

  test('random base64 strings', () =>
    fuzz('Default: random base64', fc.base64String({ maxLength: 200 }), runs(2000), (text) => ({ path: `/${text}` })), 600_000);
});

describe('Thumbor door', () => {
  test('random segments, filters, sizes, crops, encodings and unicode', () => fuzz('Thumbor paths', thumborPath, runs(6000), (path) => ({ path })), 600_000);
});

describe('query parameters', () => {
  test('random SIH v7 and shutter parameters on paths of every door', () =>
    fuzz('Query parameters', fc.tuple(basePath, query), runs(1500), ([path, params]) => ({ path, query: params })), 600_000);
});

describe('Custom door (rewrite)', () => {
  test('random paths through REWRITE_MATCH_PATTERN', () => fuzz('Custom rewrite', customPath, runs(1500), (path) => ({ path }), () => custom), 600_000);
});

describe('over real HTTP', () => {
  /** Sends a raw request line (bytes the fetch API would refuse to send) and judges the answer. */
  function rawGet(target: string, headers = ''): Promise<Outcome> {
    return new Promise((resolve) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ status: 0, violation: `no answer within ${HANG_GUARD_MS} ms` });
      }, HANG_GUARD_MS);
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('latin1');
        const [head = '', ...rest] = text.split('\r\n\r\n');
        const [statusLine = '', ...headerLines] = head.split('\r\n');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0);
        if (!status) return resolve({ status: 0, violation: `no HTTP answer: ${JSON.stringify(text.slice(0, 200))}` });
        const responseHeaders = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
        resolve(judge(status, responseHeaders, Buffer.from(rest.join('\r\n\r\n'), 'latin1')));
      });
      socket.write(Buffer.from(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headers}\r\n`, 'latin1'));
    });
  }

  async function fuzzHttp<T>(category: string, arbitrary: fc.Arbitrary<T>, numRuns: number, toTarget: (value: T) => string) {
    const counts = tally(category);
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        const outcome = await rawGet(toTarget(value));
        counts.add(outcome);
        if (outcome.violation) throw new Error(`${outcome.violation}\ntarget: ${JSON.stringify(toTarget(value))}`);
      }),
      { numRuns },
    );
    expect(counts.serverErrors + counts.crashes + counts.hangs).toBe(0);
  }

  // Bytes as they would reach the socket: printable ASCII plus raw UTF-8/latin-1 and control bytes.
  const rawTarget = fc.oneof(
    thumborPath.map((path) => Buffer.from(path, 'utf8').toString('latin1')),
    fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((text) => `/${text}`),
    fc.constantFrom('*', 'http://evil.example/a.jpg', '//a.jpg', '/a.jpg?%', '/a.jpg?width=%zz', '/%', ''),
  );

  test('raw request targets (Thumbor paths as bytes, control characters, absolute forms)', () =>
    fuzzHttp('HTTP: raw request targets', rawTarget, runs(800), (target) => target), 600_000);

  test('Default requests whose headers would split the response', () =>
    fuzzHttp('HTTP: Default door headers', defaultRequest, runs(600), (value) => base64Of(value)), 600_000);

  test('random query strings', () =>
    fuzzHttp('HTTP: query strings', fc.tuple(basePath, query), runs(500), ([path, params]) => `${path}?${new URLSearchParams(params).toString()}`), 600_000);
});

describe('regressions found by the fuzzer', () => {
  test.each([
    // A response header from the Default door with CR/LF or a space in its name made Node's writeHead throw: a 500 over HTTP.
    ['header value with CR/LF', base64Of({ key: 'a.jpg', headers: { 'X-Test': 'a\r\nSet-Cookie: x=1' } }), 400, 'ImageEdits::InvalidEdit'],
    ['header name with a space', base64Of({ key: 'a.jpg', headers: { 'Bad Name': 'x' } }), 400, 'ImageEdits::InvalidEdit'],
    // extend/affine/rotate grew the output past every limit (a 24×16 source into gigapixels).
    ['extend 8192 on every side', base64Of({ key: 'a.jpg', edits: { extend: 8192 } }), 400, 'ImageEdits::OutputTooLarge'],
    ['affine ×1000', base64Of({ key: 'a.jpg', edits: { affine: [1000, 0, 0, 1000] } }), 400, 'ImageEdits::OutputTooLarge'],
    // Every HEIF output was a 500: sharp ≥ 0.34 requires a compression.
    ['HEIF output', '/a.jpg?format=heic', 200, undefined],
    // A key segment longer than a file name made the local disk answer ENAMETOOLONG: a 500.
    ['a 300-byte key segment', `/${'x'.repeat(300)}.jpg`, 400, 'ImageSource::InvalidKey'],
    // An object as the output format: String() of it threw.
    ['outputFormat as an object', base64Of({ key: 'a.jpg', outputFormat: { toString: ['x'] } }), 400, 'UnsupportedOutputImageFormatException'],
    // sharp's own argument checks and libvips refusals of edits this image cannot take were 500s.
    ['an unparseable colour', '/x1/filters:fill(NaN)/a.jpg', 400, 'ImageEdits::InvalidEdit'],
    ['the alpha channel of a JPEG', base64Of({ key: 'a.jpg', edits: { extractChannel: 'alpha' } }), 400, 'ImageEdits::InvalidEdit'],
    ['a CLAHE window larger than the image', base64Of({ key: 'a.jpg', edits: { clahe: { width: 200, height: 200 } } }), 400, 'ImageEdits::InvalidEdit'],
    ['an unknown colourspace', base64Of({ key: 'a.jpg', edits: { toColourspace: 'bogus' } }), 400, 'ImageEdits::InvalidEdit'],
    ['a singular affine matrix', base64Of({ key: 'a.jpg', edits: { affine: [0, 0, 0, 0] } }), 400, 'ImageEdits::InvalidEdit'],
    // Found by the fuzzer (seed 631400167, SHUTTER_FUZZ_SCALE=10): libvips' "rank: window too large"
    // for a median window wider than the 8×8 image was a 500.
    ['a median window larger than the image', base64Of({ key: 'w.png', edits: { median: 9 } }), 400, 'ImageEdits::InvalidEdit'],
    // Found probing the same family by hand: sharp refuses to trim a source under 3×3 (a 1×1 spacer GIF), a 500.
    ['trim of a 1×1 source', base64Of({ key: 'dot.gif', edits: { trim: true } }), 400, 'ImageEdits::InvalidEdit'],
    ['Thumbor trim of a 1×1 source', '/trim/dot.gif', 400, 'ImageEdits::InvalidEdit'],
    // Found by a long run of the fuzzer on tiny sources: CMYK output of an image with alpha is 5 bands,
    // which the raw pixels handed between steps could not hold ("Expected width, height and channels"),
    // a 500. The output colourspace is now the plan's last step, as in sharp's chain: a correct image.
    ['CMYK with alpha, then roundCrop', base64Of({ key: 'b.png', edits: { toColourspace: 'cmyk', roundCrop: true } }), 200, undefined],
    ['CMYK with alpha, then an overlay', base64Of({ key: 'b.png', edits: { toColourspace: 'cmyk', overlayWith: { bucket: 'images', key: 'w.png' } } }), 200, undefined],
  ])('%s', async (_name, path, status, code) => {
    const response = await t.request(path);
    expect(response.status).toBe(status);
    if (code) expect(JSON.parse(response.bytes.toString()).code).toBe(code);
    else expect(response.headers['Content-Type']).toMatch(/^image\//);
  });

  // Found by the fuzzer (seed 134374506): a Thumbor filter named `__proto__` found Object.prototype
  // in the filter table and called it: a 500. Names Object.prototype carries are unknown names
  // (filter names are lower case, so `toString` never reaches the table).
  test.each([
    ['filters:__proto__', '/filters:__proto__(images,a.jpg,,0,,,0)/a.jpg'],
    ['filters:constructor', '/filters:constructor(1)/a.jpg'],
  ])('a Thumbor filter named %s is ignored and reported, as any unknown filter', async (name, path) => {
    const response = await t.request(path);
    expect(response.status).toBe(200);
    expect(response.headers['Content-Type']).toBe('image/jpeg');
    expect(response.headers['X-Shutter-Ignored-Edits']).toBe(name);
  });

  test.each([
    ['a Thumbor alignment named constructor is part of the key', '/10x10/constructor/a.jpg', 404, 'NoSuchKey'],
    ['a Thumbor alignment named toString is part of the key', '/10x10/toString/a.jpg', 404, 'NoSuchKey'],
    ['an output format named constructor', '/filters:format(constructor)/a.jpg', 200, undefined],
    ['toFormat constructor', base64Of({ key: 'a.jpg', edits: { toFormat: 'constructor' } }), 400, 'UnsupportedOutputImageFormatException'],
    ['a preset named __proto__', base64Of({ key: 'a.jpg', preset: '__proto__' }), 400, 'Preset::NotFound'],
    ['a preset named constructor', '/a.jpg?preset=constructor', 400, 'Preset::NotFound'],
  ])('%s', async (_name, path, status, code) => {
    const response = await t.request(path);
    expect(response.status).toBe(status);
    if (code) expect(JSON.parse(response.bytes.toString()).code).toBe(code);
    else expect(response.headers['Content-Type']).toBe('image/jpeg');
  });

  test('an SIH edit named constructor is ignored, as SIH ignores unknown edits, not taken for a format', async () => {
    const response = await t.request(base64Of({ key: 'a.jpg', edits: { constructor: { quality: 5 }, resize: { width: 12 } } }));
    expect(response.status).toBe(200);
    expect(response.headers['X-Shutter-Ignored-Edits']).toBe('constructor');
    expect((await sharp(response.bytes).metadata()).width).toBe(12);
  });

  // Without alpha, the same edits were a 200 in the wrong colours: roundCrop read the four CMYK bands as RGB
  // and alpha (a red #cc3322 came back as #001f21). Now converted last, as sharp does wherever toColourspace stands.
  test.each([
    ['toColourspace before roundCrop', { toColourspace: 'cmyk', roundCrop: true }],
    ['toColourspace after roundCrop', { roundCrop: true, toColourspace: 'cmyk' }],
  ])('CMYK output keeps its colours: %s', async (_name, editsAsked) => {
    const response = await t.request(base64Of({ key: 'a.jpg', edits: editsAsked }));
    expect(response.status).toBe(200);
    expect(await sharp(response.bytes).metadata()).toMatchObject({ format: 'jpeg', space: 'cmyk' });
    // Against sharp's own chain: CMYK's round trip through its profile moves colours on its own.
    const centre = (image: Buffer) => sharp(image).toColourspace('srgb').extract({ left: 12, top: 8, width: 1, height: 1 }).raw().toBuffer();
    const source = (await t.platform.storage.get('images', 'a.jpg')).body;
    const expected = await centre(await sharp(source).toColourspace('cmyk').jpeg().toBuffer());
    const got = await centre(response.bytes);
    for (const channel of [0, 1, 2]) expect(Math.abs(got[channel]! - expected[channel]!)).toBeLessThan(8);
  });

  test('the same over HTTP: never a 500 from writing headers', async () => {
    const response = await fetch(`${server.url}${base64Of({ key: 'a.jpg', headers: { 'X-Test': 'a\r\nSet-Cookie: x=1' } })}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  // Keep the generators honest: they must reach the renderer, not only the decoders.
  test('a fair share of generated requests render an image', async () => {
    const sample = fc.sample(fc.record({ key: fc.constantFrom('a.jpg', 'b.png'), edits }), 300);
    let rendered = 0;
    for (const value of sample) if ((await probe(t.app, { path: base64Of(value) }, HANG_GUARD_MS)).status === 200) rendered++;
    expect(rendered).toBeGreaterThan(30);
  });
});

import { parseRange } from '../../api/renditions-route.js';
import { renditionUrl } from '../../core/renditions.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { imageInfo, makeImage } from '../helpers/images.js';

describe('byte ranges', () => {
  it.each([
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=10-', { start: 10, end: 99 }],
    ['bytes=-5', { start: 95, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['bytes=90-200', { start: 90, end: 99 }],
    ['bytes=100-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=9-3', undefined],
    ['bytes=0-1,5-6', undefined],
    ['items=0-1', undefined],
    [undefined, undefined],
  ] as const)('%s of 100 bytes → %j', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected);
  });
});

describe('renditions by URL', () => {
  let app: TestApp;
  let webp: Buffer;
  const key = 'albums/summer 2026/cat.jpg/thumb.webp';
  const url = renditionUrl('', key, 'sha256:0123456789abcdef0123');

  beforeAll(async () => {
    app = await createTestApp();
    webp = await makeImage(30, 20, 'webp');
    await app.platform.storage.put('renditions', key, webp, { contentType: 'image/webp' });
    await app.platform.storage.put('images', 'r/legacy.png', await makeImage(12, 10, 'png'));
  });

  it('names a rendition by its encoded key and a 64-bit version', () => {
    expect(url).toBe('/r/albums/summer%202026/cat.jpg/thumb.webp?v=0123456789abcdef');
    expect(renditionUrl('https://img.example.com', 'a/b.jpg', '')).toBe('https://img.example.com/r/a/b.jpg');
  });

  it('serves the stored bytes with their type and ETag, cached forever when versioned', async () => {
    const [path, search] = url.split('?') as [string, string];
    const response = await app.request(`${path}?${search}`);
    expect(response.status).toBe(200);
    expect(response.bytes.equals(webp)).toBe(true);
    expect(response.headers).toMatchObject({ 'Content-Type': 'image/webp', 'Cache-Control': 'public, max-age=31536000, immutable', 'Accept-Ranges': 'bytes' });
    expect(response.headers.ETag).toMatch(/^".+"$/);
    const unversioned = await app.request(path);
    expect(unversioned.headers['Cache-Control']).toBe('public, max-age=86400');
    expect((await app.request(path, { headers: { 'if-none-match': response.headers.ETag! } })).status).toBe(304);
  });

  it('answers single byte ranges, and 416 past the end', async () => {
    const [path] = url.split('?') as [string];
    const part = await app.request(path, { headers: { range: 'bytes=0-9' } });
    expect(part.status).toBe(206);
    expect(part.headers['Content-Range']).toBe(`bytes 0-9/${webp.length}`);
    expect(part.bytes.equals(webp.subarray(0, 10))).toBe(true);
    const tail = await app.request(path, { headers: { range: 'bytes=-4' } });
    expect(tail.bytes.equals(webp.subarray(webp.length - 4))).toBe(true);
    const past = await app.request(path, { headers: { range: `bytes=${webp.length}-` } });
    expect(past.status).toBe(416);
    expect(past.headers['Content-Range']).toBe(`bytes */${webp.length}`);
  });

  it('answers HEAD with the length and no body', async () => {
    const [path] = url.split('?') as [string];
    const head = await app.request(path, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['Content-Length']).toBe(String(webp.length));
    expect(head.bytes.length).toBe(0);
  });

  it('leaves a source key under r/ to the image handler when no rendition has it (SIH URLs keep working)', async () => {
    const response = await app.request('/r/legacy.png?width=6');
    expect(response.status).toBe(200);
    expect(await imageInfo(response.bytes)).toMatchObject({ format: 'png', width: 6 });
    expect((await app.request('/r/none.png')).status).toBe(404);
  });

  it('refuses a malformed path with 400, and never leaves the bucket', async () => {
    expect((await app.request('/r/%E0%A4%A')).status).toBe(400);
    const escape = await app.request('/r/..%2F..%2Fimages%2Fr%2Flegacy.png');
    expect(escape.status).toBeGreaterThanOrEqual(400);
    expect(escape.status).toBeLessThan(500);
  });
});

/**
 * The on-demand path's answers to attacks found in review (issue #13): the fallback image on our
 * own 5xx, edit names the client controls in a response header, and pass-through of objects of
 * no declared image type (streamed within the size limit, never read whole).
 */
import { jest } from '@jest/globals';
import { validateHeaderValue } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../../console/server/app.js';
import { ignoredEditsHeader } from '../../api/responses.js';
import { createPlatform } from '../../core/compose.js';
import { loadConfig } from '../../core/config.js';
import { TransientError } from '../../core/errors.js';
import type { Storage } from '../../core/ports/storage.js';
import { base64Path, createTestApp } from '../helpers/app.js';
import { imageInfo, makeImage, samplePhoto } from '../helpers/images.js';

describe('the fallback image', () => {
  /** An app whose storage fails for one key as S3 does when it is unavailable. */
  async function appWithBrokenKey() {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-fallback-'));
    const config = loadConfig({
      SHUTTER_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ANALYZER: 'attention',
      ENABLE_DEFAULT_FALLBACK_IMAGE: 'Yes',
      DEFAULT_FALLBACK_IMAGE_BUCKET: 'images',
      DEFAULT_FALLBACK_IMAGE_KEY: 'fallback.png',
    });
    const platform = createPlatform(config);
    await platform.storage.put('images', 'fallback.png', await makeImage(8, 8, 'png'), { contentType: 'image/png' });
    const unavailable = () => new TransientError('Storage::Unavailable', 'The storage did not answer.', 503);
    const storage: Storage = Object.assign(Object.create(platform.storage) as Storage, {
      get: (bucket: string, key: string, options?: Parameters<Storage['get']>[2]) =>
        key === 'broken.jpg' ? Promise.reject(unavailable()) : platform.storage.get(bucket, key, options),
      head: (bucket: string, key: string) => (key === 'broken.jpg' ? Promise.reject(unavailable()) : platform.storage.head(bucket, key)),
      withFile: ((bucket, key, options, use) =>
        key === 'broken.jpg' ? Promise.reject(unavailable()) : platform.storage.withFile!(bucket, key, options, use)) as Storage['withFile'],
    });
    const app = createApp({ ...platform, storage });
    return (urlPath: string) => app.handle({ method: 'GET', path: urlPath, query: {}, headers: {} });
  }

  test("on shutter's own 5xx it is never cacheable and asks the client to retry", async () => {
    const get = await appWithBrokenKey();
    const response = await get('/fit-in/50x50/broken.jpg');
    expect(response.status).toBe(503);
    expect(response.headers['Content-Type']).toBe('image/png');
    expect(await imageInfo(response.body as Buffer)).toMatchObject({ width: 8, height: 8 });
    expect(response.headers['Cache-Control']).toBe('no-store');
    expect(response.headers['Retry-After']).toBe('1');
  });

  test("on the client's 4xx it keeps SIH's caching, without Retry-After", async () => {
    const get = await appWithBrokenKey();
    const response = await get('/fit-in/50x50/missing.jpg');
    expect(response.status).toBe(404);
    expect(response.headers['Cache-Control']).toBe('max-age=31536000,public');
    expect(response.headers['Retry-After']).toBeUndefined();
  });
});

describe('X-Shutter-Ignored-Edits carries the client’s names safely', () => {
  const hostile = ['sepia', 'a\r\nSet-Cookie: x=1', 'nul\u0000', 'ü€😀', 'lone\ud800', 'comma,and%', ' space'];

  test('unknown Default-door edit names with CR/LF, NUL and characters above U+00FF still render (200), with a valid header', async () => {
    const t = await createTestApp();
    await t.platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'));
    const edits = Object.fromEntries([['resize', { width: 20 }], ...hostile.map((name) => [name, true])]);
    const response = await t.request(base64Path({ key: 'astronaut.jpg', edits }));
    expect(response.status).toBe(200);
    const value = response.headers['X-Shutter-Ignored-Edits']!;
    expect(() => validateHeaderValue('X-Shutter-Ignored-Edits', value)).not.toThrow();
    expect(value).toMatch(/^[\x21-\x7e]+$/);
    expect(value.split(',').map(decodeURIComponent)).toEqual(['sepia', 'a\r\nSet-Cookie: x=1', 'nul\u0000', 'ü€😀', 'lone\ufffd', 'comma,and%', ' space']);
  });

  test('the list is bounded: at most 16 names of at most 64 characters', () => {
    const value = ignoredEditsHeader(Array.from({ length: 1000 }, (_, i) => `${i}${'x'.repeat(5000)}`));
    expect(value.split(',')).toHaveLength(17);
    expect(value.endsWith(',...')).toBe(true);
    expect(value.length).toBeLessThan(16 * 65 + 10);
  });
});

describe('pass-through of an object with no declared image type', () => {
  test('is streamed, sniffed from its first bytes, never read whole', async () => {
    const t = await createTestApp();
    const png = await makeImage(8, 8, 'png');
    const big = Buffer.concat([png, randomBytes(8 * 1024 * 1024)]);
    await t.platform.storage.put('images', 'mystery', big, { contentType: 'application/octet-stream' });
    await t.platform.storage.put('images', 'notes', Buffer.from('plain text, no image'), { contentType: 'text/plain' });
    const [read, opened] = [jest.spyOn(t.platform.storage, 'get'), jest.spyOn(t.platform.storage, 'withFile')];
    const answer = await t.app.handle({ method: 'GET', path: '/mystery', query: {}, headers: {} });
    expect(answer.status).toBe(200);
    expect(answer.body).toBeInstanceOf(Readable);
    expect(answer.headers['Content-Type']).toBe('image/png');
    expect(answer.headers['Content-Length']).toBe(String(big.length));
    expect(Buffer.concat(await (answer.body as Readable).toArray()).equals(big)).toBe(true);
    const text = await t.request('/notes');
    expect(text.headers['Content-Type']).toBe('text/plain');
    expect(text.bytes.toString()).toBe('plain text, no image');
    expect(read).not.toHaveBeenCalled();
    expect(opened).not.toHaveBeenCalled();
  });

  test('over MAX_SOURCE_BYTES it is refused (413 TooLarge) without a read', async () => {
    const t = await createTestApp({ MAX_SOURCE_BYTES: '1000' });
    await t.platform.storage.put('images', 'blob', randomBytes(5000), { contentType: 'application/octet-stream' });
    const [read, opened] = [jest.spyOn(t.platform.storage, 'get'), jest.spyOn(t.platform.storage, 'withFile')];
    const answer = await t.request('/blob');
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.bytes.toString()).code).toBe('ImageSource::TooLarge');
    expect(read).not.toHaveBeenCalled();
    expect(opened).not.toHaveBeenCalled();
  });
});

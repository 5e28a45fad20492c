import { DEFAULT_IMAGE_LIMITS, inspectImage, type ImageLimits } from '../../../core/pipeline/sharp-factory.js';
import type { ImageInput } from '../../../core/pipeline/source-file.js';
import { SourceInfoCache, type Inspect } from '../../../core/pipeline/source-info-cache.js';
import { makeImage } from '../../helpers/images.js';

/** inspectImage itself, counting its calls. */
function countingInspect(): Inspect & { calls: number } {
  const inspect = Object.assign(async (input: ImageInput, limits: ImageLimits) => {
    inspect.calls++;
    return inspectImage(input, limits);
  }, { calls: 0 });
  return inspect;
}

describe('SourceInfoCache', () => {
  test('one version of a source is inspected once; another ETag, key, bucket or size is inspected anew', async () => {
    const inspect = countingInspect();
    const cache = new SourceInfoCache(DEFAULT_IMAGE_LIMITS, { inspect });
    const wide = await makeImage(64, 32, 'jpeg');
    const tall = await makeImage(32, 64, 'jpeg');
    const version = { bucket: 'images', key: 'a.jpg', etag: '"v1"' };
    expect(await cache.get(version, wide)).toMatchObject({ format: 'jpeg', width: 64, height: 32, pages: 1 });
    expect(await cache.get(version, wide)).toMatchObject({ width: 64, height: 32 });
    expect(inspect.calls).toBe(1);
    // Replaced: a new ETag names new bytes.
    expect(await cache.get({ ...version, etag: '"v2"' }, tall)).toMatchObject({ width: 32, height: 64 });
    expect(await cache.get({ ...version, key: 'b.jpg' }, tall)).toMatchObject({ width: 32, height: 64 });
    expect(await cache.get({ ...version, bucket: 'other' }, tall)).toMatchObject({ width: 32, height: 64 });
    // An ETag that lied (same ETag, other bytes of another length) is not trusted either.
    expect(await cache.get(version, Buffer.concat([tall, Buffer.alloc(1)]))).toMatchObject({ width: 32, height: 64 });
    expect(inspect.calls).toBe(5);
  });

  test('known: the remembered facts at once, and nothing for a version not inspected (or without an ETag)', async () => {
    const cache = new SourceInfoCache(DEFAULT_IMAGE_LIMITS, { inspect: countingInspect() });
    const image = await makeImage(64, 32, 'jpeg');
    const version = { bucket: 'images', key: 'a.jpg', etag: '"v1"' };
    expect(cache.known(version, image)).toBeUndefined();
    const info = await cache.get(version, image);
    expect(cache.known(version, image)).toBe(info);
    expect(cache.known({ ...version, etag: '"v2"' }, image)).toBeUndefined();
    expect(cache.known(version, Buffer.concat([image, Buffer.alloc(1)]))).toBeUndefined();
    await cache.get({ ...version, etag: '' }, image);
    expect(cache.known({ ...version, etag: '' }, image)).toBeUndefined();
  });

  test('a source without an ETag is inspected at every request', async () => {
    const inspect = countingInspect();
    const cache = new SourceInfoCache(DEFAULT_IMAGE_LIMITS, { inspect });
    const image = await makeImage(16, 16, 'png');
    await cache.get({ bucket: 'images', key: 'x.png', etag: '' }, image);
    await cache.get({ bucket: 'images', key: 'x.png', etag: '' }, image);
    expect(inspect.calls).toBe(2);
  });

  test('a refused source is refused again, never remembered as if it had passed', async () => {
    const inspect = countingInspect();
    const cache = new SourceInfoCache({ ...DEFAULT_IMAGE_LIMITS, maxInputPixels: 100 }, { inspect });
    const version = { bucket: 'images', key: 'big.jpg', etag: '"v1"' };
    const image = await makeImage(64, 64, 'jpeg');
    for (let i = 0; i < 2; i++) await expect(cache.get(version, image)).rejects.toMatchObject({ status: 413, code: 'ImageSource::TooManyPixels' });
    expect(inspect.calls).toBe(2);
  });

  test('its memory is bounded in bytes: long keys hold fewer entries, the least recent go first', async () => {
    const inspect = countingInspect();
    const cache = new SourceInfoCache(DEFAULT_IMAGE_LIMITS, { inspect, maxBytes: 22_000 });
    const image = await makeImage(8, 8, 'png');
    const version = (i: number) => ({ bucket: 'images', key: `${'k'.repeat(1000)}-${i}.png`, etag: '"v1"' });
    // Each entry weighs ~2.2 KB here (a 1 KB key counted twice, UTF-16): ten fit, the eleventh pushes out the first.
    for (let i = 0; i < 11; i++) await cache.get(version(i), image);
    expect(inspect.calls).toBe(11);
    await cache.get(version(10), image);
    expect(inspect.calls).toBe(11);
    await cache.get(version(0), image);
    expect(inspect.calls).toBe(12);
  });

  test('what it remembers cannot be changed by a caller', async () => {
    const cache = new SourceInfoCache(DEFAULT_IMAGE_LIMITS);
    const version = { bucket: 'images', key: 'a.png', etag: '"v1"' };
    const info = await cache.get(version, await makeImage(8, 8, 'png'));
    expect(() => Object.assign(info, { width: 1 })).toThrow(TypeError);
    expect((await cache.get(version, await makeImage(8, 8, 'png'))).width).toBe(8);
  });
});

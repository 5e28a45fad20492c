/**
 * The playground's URL builder, checked against the real doors: every dialect's URL of one
 * transformation is served, and they all give the same image (dimensions, format, pixels).
 */
import { imageUrls, urlOf, type Transformation } from '../../../api/doors/image-urls.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { imageInfo, pixelDifference, samplePhoto } from '../../helpers/images.js';

const CASES: { name: string; t: Omit<Transformation, 'key'>; format: string; size: [number, number] }[] = [
  { name: 'cover crop to WebP with quality', t: { width: 200, height: 150, fit: 'cover', format: 'webp', quality: 70 }, format: 'webp', size: [200, 150] },
  { name: 'width only, grayscale PNG', t: { width: 240, fit: 'inside', grayscale: true, format: 'png' }, format: 'png', size: [240, 240] },
  // The pipeline rotates after resizing, as SIH does: 160×120 turns into 120×160.
  { name: 'fill, flipped, mirrored and rotated', t: { width: 160, height: 120, fit: 'fill', flip: true, flop: true, rotate: 90, format: 'jpeg' }, format: 'jpeg', size: [120, 160] },
  { name: 'contain in a band', t: { width: 200, height: 100, fit: 'contain', format: 'jpeg' }, format: 'jpeg', size: [200, 100] },
  { name: 'outside', t: { width: 200, height: 100, fit: 'outside' }, format: 'jpeg', size: [200, 200] },
  { name: 'blur and sharpen', t: { width: 180, blur: 2, sharpen: 2 }, format: 'jpeg', size: [180, 180] },
  { name: 'quality without a format', t: { width: 120, quality: 40 }, format: 'jpeg', size: [120, 120] },
];

describe('imageUrls', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    await t.platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'));
    await t.platform.storage.put('images', 'my photos/coffee 1.jpg', samplePhoto('coffee'));
    await t.platform.storage.put('other-bucket', 'coffee.jpg', samplePhoto('coffee'));
  });

  test.each(CASES)('$name: every dialect serves the same image', async ({ t: transformation, format, size }) => {
    const urls = imageUrls({ key: 'astronaut.jpg', ...transformation }, { defaultBucket: 'images' });
    expect(urls.map((url) => url.dialect)).toEqual(['default', 'thumbor', 'query']);
    const served = [];
    for (const url of urls.filter((candidate) => candidate.omitted.length === 0)) {
      const response = await t.request(urlOf(url));
      expect({ dialect: url.dialect, status: response.status, body: response.status === 200 ? '' : response.bytes.toString() }).toEqual({ dialect: url.dialect, status: 200, body: '' });
      expect(response.headers['X-Shutter-Ignored-Edits']).toBeUndefined();
      served.push(response.bytes);
    }
    expect(served.length).toBeGreaterThanOrEqual(2);
    for (const image of served) expect(await imageInfo(image)).toMatchObject({ format, width: size[0], height: size[1] });
    for (const image of served.slice(1)) expect((await pixelDifference(image, served[0]!)).mean).toBeLessThan(1);
  });

  test('the query form says what it cannot express, and leaves it out', () => {
    const [, thumbor, query] = imageUrls({ key: 'a.jpg', width: 100, blur: 2, sharpen: 0.5, smartCrop: true }, { defaultBucket: 'images' });
    expect(query!.omitted).toEqual(['blur', 'sharpen', 'smart crop']);
    expect(thumbor!.omitted).toEqual(['sharpen below 1']);
    expect(thumbor!.path).toBe('/100x0/filters:smart_crop():blur(4)/a.jpg');
  });

  test('keys with spaces and folders, and another bucket, in every dialect', async () => {
    for (const [key, bucket] of [['my photos/coffee 1.jpg', undefined], ['coffee.jpg', 'other-bucket']] as const) {
      const app = bucket ? await createTestApp({ SOURCE_BUCKETS: `images,${bucket}`, SHUTTER_DATA_DIR: t.dataDir }) : t;
      for (const url of imageUrls({ key, ...(bucket ? { bucket } : {}), width: 64 }, { defaultBucket: 'images' })) {
        const response = await app.request(urlOf(url));
        expect({ dialect: url.dialect, key, status: response.status }).toEqual({ dialect: url.dialect, key, status: 200 });
        expect((await imageInfo(response.bytes)).width).toBe(64);
      }
    }
  });

  test('format=auto negotiates from Accept in every dialect', async () => {
    for (const url of imageUrls({ key: 'astronaut.jpg', width: 50, format: 'auto' }, { defaultBucket: 'images' })) {
      const response = await t.request(urlOf(url), { headers: { accept: 'image/avif,image/webp,*/*' } });
      expect({ dialect: url.dialect, type: response.headers['Content-Type'] }).toEqual({ dialect: url.dialect, type: expect.stringMatching(/image\/(webp|avif)/) });
    }
  });

  test('the Default path is SIH base64 of the request JSON', () => {
    const [url] = imageUrls({ key: 'astronaut.jpg', width: 300, height: 200, fit: 'cover', format: 'webp', quality: 60 }, { defaultBucket: 'images' });
    expect(JSON.parse(Buffer.from(url!.path.slice(1), 'base64').toString())).toEqual({
      key: 'astronaut.jpg',
      edits: { resize: { width: 300, height: 200, fit: 'cover' }, webp: { quality: 60 } },
      outputFormat: 'webp',
    });
  });
});

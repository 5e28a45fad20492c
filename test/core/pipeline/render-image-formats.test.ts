/**
 * `renderImageFormats`: one request in several formats from one decode gives what `renderImage`
 * gives format by format (dimensions, format, pixels within a tolerance, animation, colour,
 * errors), in the order asked.
 */
import sharp from 'sharp';
import { AttentionAnalyzer } from '../../../core/adapters/local/attention-analyzer.js';
import { FsStorage } from '../../../core/adapters/local/fs-storage.js';
import type { OutputFormat } from '../../../core/edits.js';
import { parseImageRequest } from '../../../core/image-request.js';
import { LIMITS } from '../../../core/limits.js';
import type { RenderDeps } from '../../../core/pipeline/render-context.js';
import { renderImage, renderImageFormats } from '../../../core/pipeline/render-image.js';
import { DEFAULT_IMAGE_LIMITS } from '../../../core/pipeline/sharp-factory.js';
import { DEFAULT_RENDITION_SETS, renditionRequest } from '../../../core/renditions.js';
import { imageInfo, pixelDifference, samplePhoto } from '../../helpers/images.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

let deps: RenderDeps;
let photo: Buffer;
beforeAll(async () => {
  photo = await sharp(samplePhoto('coffee')).resize(600, 400).jpeg({ quality: 95 }).toBuffer();
  deps = {
    storage: new FsStorage(await mkdtemp(path.join(tmpdir(), 'shutter-formats-'))),
    analyzer: new AttentionAnalyzer(),
    limits: { ...DEFAULT_IMAGE_LIMITS, maxOutputDimension: LIMITS.maxOutputDimension, maxOutputPixels: LIMITS.maxOutputPixels, maxSourceBytes: LIMITS.maxSourceBytes },
    allowedBuckets: ['images'],
  };
});

const request = (edits: Record<string, unknown>, output: Record<string, unknown> = {}) =>
  parseImageRequest({ source: { bucket: 'images', key: 'x.jpg' }, edits, output: { format: 'jpeg', ...output } });

/** Each format rendered both ways: the shared decode must match a chain of its own. */
async function expectSameAsOneByOne(input: Buffer, edits: Record<string, unknown>, formats: OutputFormat[], output: Record<string, unknown> = {}) {
  const together = await renderImageFormats(input, request(edits, output), formats, deps);
  expect(together.map((result) => result.format)).toEqual(formats);
  for (const [index, format] of formats.entries()) {
    const alone = await renderImage(input, request(edits, { ...output, format }), deps);
    const shared = together[index]!;
    expect({ width: shared.width, height: shared.height, animated: shared.animated }).toEqual({ width: alone.width, height: alone.height, animated: alone.animated });
    expect(await imageInfo(shared.data)).toEqual(await imageInfo(alone.data));
    expect((await pixelDifference(shared.data, alone.data)).mean).toBeLessThan(1.5);
  }
  return together;
}

describe('renderImageFormats', () => {
  test('a preset in AVIF, WebP and JPEG matches each format rendered alone, in the order asked', async () => {
    await expectSameAsOneByOne(photo, { resize: { width: 320, fit: 'inside' } }, ['avif', 'webp', 'jpeg']);
    await expectSameAsOneByOne(photo, { resize: { width: 320, fit: 'inside' } }, ['jpeg', 'avif']);
  });

  test('the workflow thumbnail (crop around a focal point, then cover) matches', async () => {
    const preset = DEFAULT_RENDITION_SETS.default![0]!;
    const thumbnail = renditionRequest({ bucket: 'images', key: 'x.jpg' }, preset, 'avif', { width: 600, height: 400 }, { x: 0.3, y: 0.6 });
    const together = await renderImageFormats(photo, thumbnail, preset.formats, deps);
    for (const [index, format] of preset.formats.entries()) {
      const alone = await renderImage(photo, { ...thumbnail, output: { ...thumbnail.output, format } }, deps);
      expect(await imageInfo(together[index]!.data)).toEqual(await imageInfo(alone.data));
      expect((await pixelDifference(together[index]!.data, alone.data)).mean).toBeLessThan(1.5);
    }
  });

  test('EXIF orientation is honoured and metadata stripped, as alone', async () => {
    const rotated = await sharp(photo).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const [webp, jpeg] = await expectSameAsOneByOne(rotated, { resize: { width: 100 } }, ['webp', 'jpeg']);
    expect(await imageInfo(jpeg!.data)).toMatchObject({ width: 100, height: 150 });
    for (const result of [webp!, jpeg!]) {
      const metadata = await sharp(result.data).metadata();
      expect(metadata.orientation).toBeUndefined();
      expect(metadata.exif).toBeUndefined();
    }
  });

  test('colour profiles are converted to sRGB, as alone', async () => {
    const p3 = await sharp(photo).withIccProfile('p3').jpeg().toBuffer();
    await expectSameAsOneByOne(p3, { resize: { width: 80 } }, ['webp', 'jpeg']);
  });

  test('metadata kept on request: every format keeps its EXIF', async () => {
    const tagged = await sharp(photo).withExif({ IFD0: { Make: 'shutter-test' } }).jpeg().toBuffer();
    const results = await renderImageFormats(tagged, request({ resize: { width: 100 } }, { keepMetadata: true }), ['webp', 'jpeg'], deps);
    for (const result of results) expect((await sharp(result.data).metadata()).exif).toBeDefined();
  });

  test('an alpha source: JPEG flattened, WebP and PNG keep the alpha, as alone', async () => {
    const cutout = await sharp(photo).ensureAlpha(0.5).png().toBuffer();
    const [webp, , png] = await expectSameAsOneByOne(cutout, { resize: { width: 120 } }, ['webp', 'jpeg', 'png']);
    expect((await sharp(webp!.data).metadata()).hasAlpha).toBe(true);
    expect((await sharp(png!.data).metadata()).hasAlpha).toBe(true);
  });

  test('an animated source: WebP keeps every frame, AVIF and JPEG take the first, as alone', async () => {
    const frames = 4;
    const strip = await sharp(photo).resize(60, 40 * frames, { fit: 'fill' }).ensureAlpha().raw().toBuffer();
    const gif = await sharp(strip, { raw: { width: 60, height: 40 * frames, channels: 4, pageHeight: 40 } }).gif({ delay: [100, 100, 100, 100], loop: 0 }).toBuffer();
    const [avif, webp, jpeg] = await expectSameAsOneByOne(gif, { resize: { width: 30 } }, ['avif', 'webp', 'jpeg']);
    expect(webp!.animated).toBe(true);
    expect((await imageInfo(webp!.data)).pages).toBe(frames);
    expect((await sharp(webp!.data).metadata()).delay).toEqual([100, 100, 100, 100]);
    expect(avif!.animated).toBe(false);
    expect(jpeg!.animated).toBe(false);
  });

  test('a corrupt source fails with the same typed error as alone', async () => {
    const truncated = photo.subarray(0, Math.floor(photo.length / 3));
    type Failure = { name: string; code?: string; status?: number };
    const failure = (promise: Promise<unknown>) => promise.then(() => ({ name: 'no error' }) as Failure, (error: unknown) => error as Failure);
    const alone = await failure(renderImage(truncated, request({ resize: { width: 100 } }), deps));
    const together = await failure(renderImageFormats(truncated, request({ resize: { width: 100 } }), ['webp', 'jpeg'], deps));
    expect(alone).toMatchObject({ status: expect.any(Number) });
    expect({ name: together.name, code: together.code, status: together.status }).toEqual({ name: alone.name, code: alone.code, status: alone.status });
  });
});

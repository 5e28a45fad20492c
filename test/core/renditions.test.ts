import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ConfigError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { renderImage } from '../../core/pipeline/render-image.js';
import { DEFAULT_IMAGE_LIMITS } from '../../core/pipeline/sharp-factory.js';
import { imageInfo, pixelDifference, samplePhoto } from '../helpers/images.js';
import { parseImageRequest } from '../../core/image-request.js';
import {
  DEFAULT_RENDITION_SETS,
  focusCrop,
  loadRenditionSets,
  manifestKey,
  parseRenditionSets,
  renditionKey,
  renditionRequest,
} from '../../core/renditions.js';

test('the default set: thumbnail, small, medium, large, each in AVIF, WebP and JPEG', () => {
  const presets = parseRenditionSets(DEFAULT_RENDITION_SETS).default!;
  expect(presets.map((preset) => preset.name)).toEqual(['thumbnail', 'small', 'medium', 'large']);
  for (const preset of presets) expect(preset.formats).toEqual(['avif', 'webp', 'jpeg']);
});

test('a rendition file extends the defaults; every problem in it is reported at once', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shutter-renditions-'));
  try {
    const good = path.join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ avatars: [{ name: 'avatar', width: 96, height: 96, fit: 'cover', formats: ['webp'], quality: { webp: 70 } }] }));
    const sets = loadRenditionSets(good);
    expect(Object.keys(sets)).toEqual(['default', 'avatars']);
    expect(sets.avatars![0]).toMatchObject({ withoutEnlargement: true, quality: { webp: 70 } });

    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ x: [{ name: 'Big One', formats: ['gif'], colour: 'red' }], y: [{ name: 'a', width: 10 }, { name: 'a', width: 20 }] }));
    let error: unknown;
    try {
      loadRenditionSets(bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/x\.0\.name/);
    expect(problems).toMatch(/x\.0\.formats/);
    expect(problems).toMatch(/colour/);
    expect(problems).toMatch(/"a" appears twice/);
    expect(() => loadRenditionSets(path.join(dir, 'missing.json'))).toThrow(/could not be read/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('output keys are deterministic and never collide between sources', () => {
  expect(renditionKey('shoots/cat.jpg', 'small', 'jpeg')).toBe('shoots/cat.jpg/small.jpg');
  expect(renditionKey('shoots/cat.png', 'small', 'jpeg')).toBe('shoots/cat.png/small.jpg');
  expect(manifestKey('shoots/cat.jpg')).toBe('shoots/cat.jpg/manifest.json');
});

test.each([
  // source, target, focus → crop box
  [{ width: 400, height: 200 }, { width: 100, height: 100 }, { x: 0.5, y: 0.5 }, { left: 100, top: 0, width: 200, height: 200 }],
  [{ width: 400, height: 200 }, { width: 100, height: 100 }, { x: 0.05, y: 0.5 }, { left: 0, top: 0, width: 200, height: 200 }],
  [{ width: 400, height: 200 }, { width: 100, height: 100 }, { x: 0.95, y: 0.5 }, { left: 200, top: 0, width: 200, height: 200 }],
  [{ width: 200, height: 400 }, { width: 200, height: 100 }, { x: 0.5, y: 0.2 }, { left: 0, top: 30, width: 200, height: 100 }],
  [{ width: 300, height: 300 }, { width: 10, height: 10 }, { x: 0, y: 1 }, { left: 0, top: 0, width: 300, height: 300 }],
])('focusCrop(%j → %j around %j) = %j', (source, target, focus, expected) => {
  expect(focusCrop(source, target, focus)).toEqual(expected);
});

test('a rendition is a valid ImageRequest: crop around the focus for cover, plain resize otherwise', () => {
  const [thumbnail, small] = DEFAULT_RENDITION_SETS.default!;
  const cover = renditionRequest({ bucket: 'uploads', key: 'a.jpg' }, thumbnail!, 'avif', { width: 400, height: 200 }, { x: 0.9, y: 0.5 });
  expect(parseImageRequest(cover)).toEqual(cover);
  // The 200×200 box around the focus, taken after resizing by 150/200 (which keeps shrink-on-load).
  expect(cover.edits).toEqual({ resize: { width: 300, height: 150, fit: 'fill' }, crop: { left: 150, top: 0, width: 150, height: 150 } });
  expect(Object.keys(cover.edits)).toEqual(['resize', 'crop']);
  // A source smaller than the preset: the box as it is, never enlarged.
  const tiny = renditionRequest({ bucket: 'uploads', key: 'a.jpg' }, thumbnail!, 'avif', { width: 120, height: 80 }, { x: 0.5, y: 0.5 });
  expect(tiny.edits).toEqual({ crop: { left: 20, top: 0, width: 80, height: 80 }, resize: { width: 150, height: 150, fit: 'cover', withoutEnlargement: true } });
  const inside = renditionRequest({ bucket: 'uploads', key: 'a.jpg' }, { ...small!, quality: 60 }, 'webp', { width: 400, height: 200 });
  expect(inside).toMatchObject({ edits: { resize: { width: 320, fit: 'inside' } }, output: { format: 'webp', quality: 60 }, preset: 'small' });
  expect(inside.edits.crop).toBeUndefined();
});

describe('a cover rendition renders the box around the focus', () => {
  const limits = { ...DEFAULT_IMAGE_LIMITS, maxOutputDimension: LIMITS.maxOutputDimension, maxOutputPixels: LIMITS.maxOutputPixels, maxSourceBytes: LIMITS.maxSourceBytes };
  const deps = { storage: undefined as never, analyzer: undefined as never, limits, allowedBuckets: [] };
  test.each([
    [{ width: 1001, height: 667 }, { x: 0.9, y: 0.5 }],
    [{ width: 1001, height: 667 }, { x: 0.02, y: 0.98 }],
    [{ width: 480, height: 1203 }, { x: 0.5, y: 0.1 }],
    [{ width: 1203, height: 1203 }, { x: 0.3, y: 0.7 }],
  ])('%j around %j: exactly the preset size, the same pixels as cropping first', async (size, focus) => {
    const thumbnail = DEFAULT_RENDITION_SETS.default![0]!;
    const photo = await sharp(samplePhoto('chelsea')).resize(size.width, size.height, { fit: 'fill' }).jpeg({ quality: 95 }).toBuffer();
    const request = renditionRequest({ bucket: 'uploads', key: 'a.jpg' }, thumbnail, 'png', size, focus);
    const rendered = await renderImage(photo, request, deps);
    const target = { width: thumbnail.width!, height: thumbnail.height! };
    const cropFirst = await sharp(photo).extract(focusCrop(size, target, focus)).resize(target.width, target.height).png().toBuffer();
    expect(await imageInfo(rendered.data)).toMatchObject({ ...target, format: 'png' });
    // Resampling in the other order differs by ~1.5 of 255; a box 5 px off differs by ~15.
    expect((await pixelDifference(rendered.data, cropFirst)).mean).toBeLessThan(3);
  });
});

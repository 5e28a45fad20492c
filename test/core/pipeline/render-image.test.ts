/**
 * Every edit, rendered by the pipeline and compared with raw sharp doing the same operation:
 * same dimensions, same format, pixels within a tolerance. One table, one row per edit.
 */
import sharp, { type Sharp } from 'sharp';
import { AttentionAnalyzer } from '../../../core/adapters/local/attention-analyzer.js';
import { FsStorage } from '../../../core/adapters/local/fs-storage.js';
import { parseImageRequest } from '../../../core/image-request.js';
import { LIMITS } from '../../../core/limits.js';
import type { RenderDeps } from '../../../core/pipeline/render-context.js';
import { renderImage } from '../../../core/pipeline/render-image.js';
import { DEFAULT_IMAGE_LIMITS } from '../../../core/pipeline/sharp-factory.js';
import { pngHeaderOnly } from '../../helpers/hostile-images.js';
import { imageInfo, makeImage, pixelDifference, regionColor, samplePhoto } from '../../helpers/images.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

let deps: RenderDeps;
// Rendering full-size photos per row makes the table slow; 300×200 keeps every detail that matters.
let photo: Buffer;
beforeAll(async () => {
  photo = await sharp(samplePhoto('coffee')).resize(300, 200).jpeg({ quality: 95 }).toBuffer();
  const storage = new FsStorage(await mkdtemp(path.join(tmpdir(), 'shutter-render-')));
  await storage.put('images', 'mark.png', await makeImage(100, 50, 'png', '#ff0000'));
  deps = {
    storage,
    analyzer: new AttentionAnalyzer(),
    limits: { ...DEFAULT_IMAGE_LIMITS, maxOutputDimension: LIMITS.maxOutputDimension, maxOutputPixels: LIMITS.maxOutputPixels, maxSourceBytes: LIMITS.maxSourceBytes },
    allowedBuckets: ['images'],
  };
});

const render = (edits: Record<string, unknown>, output: Record<string, unknown> = { format: 'png' }, input = photo) =>
  renderImage(input, parseImageRequest({ source: { bucket: 'images', key: 'x.jpg' }, edits, output }), deps);

// Each row: an edit, and the same operation written directly against sharp.
const EDITS: Array<[string, Record<string, unknown>, (image: Sharp) => Sharp]> = [
  ['resize cover', { resize: { width: 200, height: 200 } }, (i) => i.resize(200, 200)],
  ['resize inside', { resize: { width: 200, height: 200, fit: 'inside' } }, (i) => i.resize(200, 200, { fit: 'inside' })],
  ['resize contain + background', { resize: { width: 200, height: 200, fit: 'contain', background: '#00ff00' } }, (i) => i.resize(200, 200, { fit: 'contain', background: '#00ff00' })],
  ['resize fill', { resize: { width: 100, height: 300, fit: 'fill' } }, (i) => i.resize(100, 300, { fit: 'fill' })],
  ['resize withoutEnlargement', { resize: { width: 2000, withoutEnlargement: true } }, (i) => i.resize({ width: 2000, withoutEnlargement: true })],
  ['resize ratio (SIH)', { resize: { ratio: 0.5 } }, (i) => i.resize(150, 100, { fit: 'inside' })],
  ['rotate', { rotate: 90 }, (i) => i.rotate(90)],
  ['flip', { flip: true }, (i) => i.flip()],
  ['flop', { flop: true }, (i) => i.flop()],
  ['grayscale', { grayscale: true }, (i) => i.grayscale()],
  ['tint', { tint: { r: 255, g: 240, b: 16 } }, (i) => i.tint({ r: 255, g: 240, b: 16 })],
  ['blur', { blur: 5 }, (i) => i.blur(5)],
  ['sharpen', { sharpen: 2 }, (i) => i.sharpen({ sigma: 2 })],
  ['median', { median: 3 }, (i) => i.median(3)],
  ['gamma', { gamma: 2.2 }, (i) => i.gamma(2.2)],
  ['negate', { negate: true }, (i) => i.negate()],
  ['normalise', { normalise: true }, (i) => i.normalise()],
  ['clahe', { clahe: { width: 20, height: 20 } }, (i) => i.clahe({ width: 20, height: 20 })],
  ['convolve', { convolve: { width: 3, height: 3, kernel: [-1, 0, 1, -2, 0, 2, -1, 0, 1] } }, (i) => i.convolve({ width: 3, height: 3, kernel: [-1, 0, 1, -2, 0, 2, -1, 0, 1] })],
  ['threshold', { threshold: 100 }, (i) => i.threshold(100)],
  ['linear', { linear: [1.2, -10] }, (i) => i.linear(1.2, -10)],
  ['recomb', { recomb: [[0.3588, 0.7044, 0.1368], [0.299, 0.587, 0.114], [0.2392, 0.4696, 0.0912]] }, (i) => i.recomb([[0.3588, 0.7044, 0.1368], [0.299, 0.587, 0.114], [0.2392, 0.4696, 0.0912]])],
  ['modulate', { modulate: { brightness: 1.2, saturation: 0.5, hue: 90 } }, (i) => i.modulate({ brightness: 1.2, saturation: 0.5, hue: 90 })],
  ['extend', { extend: { top: 10, bottom: 20, left: 5, right: 5, background: '#ff00ff' } }, (i) => i.extend({ top: 10, bottom: 20, left: 5, right: 5, background: '#ff00ff' })],
  ['extract (after resize)', { resize: { width: 300 }, extract: { left: 10, top: 10, width: 100, height: 80 } }, (i) => i.resize(300).extract({ left: 10, top: 10, width: 100, height: 80 })],
  ['crop (SIH, before resize)', { crop: { left: 50, top: 25, width: 150, height: 150 }, resize: { width: 100 } }, (i) => i.extract({ left: 50, top: 25, width: 150, height: 150 }).resize(100)],
  ['ensureAlpha', { ensureAlpha: 0.5 }, (i) => i.ensureAlpha(0.5)],
  ['toColourspace', { toColourspace: 'b-w' }, (i) => i.toColourspace('b-w')],
  ['dilate', { dilate: 2 }, (i) => i.dilate(2)],
  ['erode', { erode: 2 }, (i) => i.erode(2)],
];

describe('render: each edit matches raw sharp', () => {
  test.each(EDITS)('%s', async (_name, edits, reference) => {
    const actual = await render(edits);
    const expected = await reference(sharp(photo).autoOrient()).png().toBuffer();
    expect(actual.format).toBe('png');
    const [a, b] = [await imageInfo(actual.data), await imageInfo(expected)];
    expect(a).toEqual(b);
    expect((await pixelDifference(actual.data, expected)).mean).toBeLessThan(1);
  });
});

describe('render: SIH edits', () => {
  test('overlayWith places the watermark at percent and negative offsets, faded by alpha', async () => {
    const result = await render({ resize: { width: 600 }, overlayWith: { bucket: 'images', key: 'mark.png', wRatio: 20, alpha: 0, options: { left: '-10p', top: 10 } } });
    // 20% of 600 px = 120 px wide (the 100×50 mark is enlarged to 120×60); -10p → 600 − 60 − 120 = 420.
    expect(await imageInfo(result.data)).toMatchObject({ width: 600, height: 400 });
    const [r, g, b] = await regionColor(result.data, { left: 425, top: 15, width: 110, height: 50 });
    expect(r).toBeGreaterThan(240);
    expect(g).toBeLessThan(15);
    expect(b).toBeLessThan(15);
    const half = await render({ overlayWith: { bucket: 'images', key: 'mark.png', alpha: 50, options: { left: 0, top: 0 } } });
    const [hr] = await regionColor(half.data, { left: 10, top: 10, width: 80, height: 30 });
    const [or] = await regionColor(photo, { left: 10, top: 10, width: 80, height: 30 });
    expect(hr).toBeGreaterThan(or!);
    expect(hr).toBeLessThan(250);
  });

  test('roundCrop masks an ellipse and trims to it', async () => {
    const result = await render({ resize: { width: 300, height: 200 }, roundCrop: true });
    const info = await imageInfo(result.data);
    expect(info.width).toBeLessThanOrEqual(201);
    expect(info.height).toBeLessThanOrEqual(201);
    const { data, info: raw } = await sharp(result.data).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const alphaAt = (x: number, y: number) => data[(y * raw.width + x) * 4 + 3];
    expect(alphaAt(0, 0)).toBe(0);
    expect(alphaAt(Math.floor(raw.width / 2), Math.floor(raw.height / 2))).toBe(255);
  });

  test('smartCrop with the attention stand-in crops around the salient region', async () => {
    const result = await render({ smartCrop: true }, { format: 'jpeg' }, samplePhoto('astronaut'));
    const info = await imageInfo(result.data);
    // Half the short side of the 512×512 portrait, around the most salient point.
    expect(info.width).toBe(256);
    expect(info.height).toBe(256);
    expect(result.notes.subjects).toMatchObject({ analyzer: 'libvips-attention' });
  });

  test('EXIF orientation is honoured and metadata stripped unless kept', async () => {
    const rotated = await sharp(photo).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const result = await render({ resize: { width: 100 } }, { format: 'jpeg' }, rotated);
    expect(await imageInfo(result.data)).toMatchObject({ width: 100, height: 150 });
    const metadata = await sharp(result.data).metadata();
    expect(metadata.orientation).toBeUndefined();
    expect(metadata.exif).toBeUndefined();
    const kept = await render({ resize: { width: 100 } }, { format: 'jpeg', keepMetadata: true }, rotated);
    expect((await sharp(kept.data).metadata()).exif).toBeDefined();
    const raw = await render({ rotate: null, resize: { width: 100 } }, { format: 'jpeg' }, rotated);
    expect(await imageInfo(raw.data)).toMatchObject({ width: 100, height: 67 });
  });

  test('colour profiles are converted to sRGB', async () => {
    const p3 = await sharp(photo).withIccProfile('p3').jpeg().toBuffer();
    expect((await sharp(p3).metadata()).icc).toBeDefined();
    const result = await render({ resize: { width: 50 } }, { format: 'jpeg' }, p3);
    const expected = await sharp(p3).resize(50).toColourspace('srgb').jpeg().toBuffer();
    expect((await pixelDifference(result.data, expected)).mean).toBeLessThan(3);
  });

  test('per-format options and quality reach the encoder', async () => {
    const low = await render({ resize: { width: 300 } }, { format: 'jpeg', quality: 20 });
    const high = await render({ resize: { width: 300 } }, { format: 'jpeg', quality: 95 });
    expect(low.data.length).toBeLessThan(high.data.length / 2);
    const lossless = await render({ resize: { width: 100 } }, { format: 'webp', options: { webp: { lossless: true } } });
    expect((await imageInfo(lossless.data)).format).toBe('webp');
    const avif = await render({ resize: { width: 100 } }, { format: 'avif' });
    expect((await imageInfo(avif.data)).format).toBe('heif');
  });
});

describe('render: hostile sources are refused from the header, before decoding', () => {
  test('a PNG declaring 100000×100000 pixels', async () => {
    const bomb = pngHeaderOnly(100_000, 100_000);
    await expect(render({ resize: { width: 10 } }, { format: 'png' }, bomb)).rejects.toMatchObject({ status: 413, code: 'ImageSource::TooManyPixels' });
  });

  test('truncated JPEG', async () => {
    const truncated = samplePhoto('coffee').subarray(0, 5000);
    await expect(render({ resize: { width: 10 } }, { format: 'png' }, truncated)).rejects.toMatchObject({ status: 422, code: 'ImageSource::CorruptImage' });
  });

  test('not an image', async () => {
    await expect(render({ resize: { width: 10 } }, { format: 'png' }, Buffer.from('<html></html>'))).rejects.toMatchObject({ status: 415 });
  });
});

/**
 * The edits apply in the order the request lists them, as SIH hands them to sharp one by one:
 * each row is rendered by the pipeline and by raw sharp making the same calls in the same order
 * (what SIH's image-handler does), and must agree in size and pixels.
 */
import sharp, { type Sharp } from 'sharp';
import { AttentionAnalyzer } from '../../../core/adapters/local/attention-analyzer.js';
import type { Edits } from '../../../core/edits.js';
import { planEdits, renderImage } from '../../../core/pipeline/render-image.js';
import { loadPresets } from '../../../core/presets.js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { imageInfo, pixelDifference, samplePhoto } from '../../helpers/images.js';
import { imageRequest, renderDeps } from '../../helpers/render.js';

const deps = renderDeps(new AttentionAnalyzer());
let photo: Buffer; // 400×300, the size of the examples
beforeAll(async () => {
  photo = await sharp(samplePhoto('coffee')).resize(400, 300, { fit: 'fill' }).jpeg({ quality: 95 }).toBuffer();
});

const render = (edits: Record<string, unknown>) => renderImage(photo, imageRequest(edits as Edits), deps);

const ORDERS: Array<[string, Record<string, unknown>, [number, number], (image: Sharp) => Sharp]> = [
  ['rotate, then resize: the rotated image is resized', { rotate: 90, resize: { width: 100 } }, [100, 133], (i) => i.rotate(90).resize({ width: 100 })],
  ['resize, then rotate', { resize: { width: 100 }, rotate: 90 }, [75, 100], (i) => i.resize({ width: 100 }).rotate(90)],
  ['rotate 180, then a cover resize', { rotate: 180, resize: { width: 200, height: 100 } }, [200, 100], (i) => i.rotate(180).resize(200, 100)],
  ['rotate 270, then resize by height', { rotate: 270, resize: { height: 100 } }, [75, 100], (i) => i.rotate(270).resize({ height: 100 })],
  ['rotate by an odd angle, then resize', { rotate: 30, resize: { width: 100 } }, [100, 93], (i) => i.rotate(30).resize({ width: 100 })],
  [
    'extract, then resize: the region is taken from the source',
    { extract: { left: 200, top: 100, width: 200, height: 200 }, resize: { width: 50 } },
    [50, 50],
    (i) => i.extract({ left: 200, top: 100, width: 200, height: 200 }).resize({ width: 50 }),
  ],
  [
    'resize, then extract: the region is taken from the resized image',
    { resize: { width: 200 }, extract: { left: 10, top: 10, width: 100, height: 50 } },
    [100, 50],
    (i) => i.resize({ width: 200 }).extract({ left: 10, top: 10, width: 100, height: 50 }),
  ],
  [
    'crop, then resize (SIH crop is sharp extract)',
    { crop: { left: 0, top: 0, width: 300, height: 300 }, resize: { width: 100 } },
    [100, 100],
    (i) => i.extract({ left: 0, top: 0, width: 300, height: 300 }).resize({ width: 100 }),
  ],
  [
    'rotate, then crop: the crop is in the rotated frame',
    { rotate: 90, crop: { left: 0, top: 0, width: 300, height: 400 } },
    [300, 400],
    (i) => i.rotate(90).extract({ left: 0, top: 0, width: 300, height: 400 }),
  ],
];

describe('edits apply in the order the request lists them (SIH)', () => {
  test.each(ORDERS)('%s', async (_name, edits, [width, height], viaSharp) => {
    const rendered = await render(edits);
    expect([rendered.width, rendered.height]).toEqual([width, height]);
    const expected = await viaSharp(sharp(photo)).png().toBuffer();
    expect(await imageInfo(expected)).toMatchObject({ width, height });
    expect((await pixelDifference(rendered.data, expected)).mean).toBeLessThan(2);
  });

  test('a crop outside the image the edits before it left is Crop::AreaOutOfBounds', async () => {
    await expect(render({ resize: { width: 100 }, crop: { left: 0, top: 0, width: 200, height: 10 } })).rejects.toMatchObject({
      code: 'Crop::AreaOutOfBounds',
      status: 400,
    });
  });

  test('a preset from PRESETS_FILE keeps its edits in the order the file lists them', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'shutter-presets-')), 'presets.json');
    await writeFile(file, JSON.stringify({ turned: { edits: { rotate: 90, grayscale: true, resize: { width: 100 } } } }));
    expect(Object.keys(loadPresets(file).turned!.edits)).toEqual(['rotate', 'grayscale', 'resize']);
  });

  test('the plan keeps the request order and turns extract into the crop step', () => {
    const plan = planEdits(imageRequest({ grayscale: true, extract: { left: 0, top: 0, width: 1, height: 1 }, resize: { width: 1 }, animated: false }).edits);
    expect(plan.map(({ step }) => step.name)).toEqual(['operation', 'crop', 'resize']);
  });
});

describe('a right-angle rotation before a one-sided resize keeps shrink-on-load, with the same geometry', () => {
  const names = (edits: Record<string, unknown>) =>
    planEdits(imageRequest(edits as Edits).edits).map(({ step, value }) => (step.name === 'operation' ? (value as { name: string }).name : step.name));

  test('the plan resizes the other side, then rotates', () => {
    const plan = planEdits(imageRequest({ rotate: 90, grayscale: true, resize: { width: 100 } }).edits);
    expect(plan.map(({ step }) => step.name)).toEqual(['operation', 'resize', 'operation']);
    expect(plan[1]!.value).toMatchObject({ width: 100, turned: 90 });
    expect(plan[2]!.value).toEqual({ name: 'rotate', value: 90 });
  });

  test.each([
    ['both sides (a crop depends on the frame)', { rotate: 90, resize: { width: 100, height: 50 } }, ['rotate', 'resize']],
    ['an odd angle', { rotate: 45, resize: { width: 100 } }, ['rotate', 'resize']],
    ['an extract between', { rotate: 90, extract: { left: 0, top: 0, width: 10, height: 10 }, resize: { width: 5 } }, ['rotate', 'crop', 'resize']],
    ['a trim after (sharp trims before resizing, by a corner the rotation moves)', { rotate: 90, resize: { width: 5 }, trim: true }, ['rotate', 'resize', 'trim']],
    ['an animation (rotate is skipped)', null, null],
  ])('not with %s', (_name, edits, expected) => {
    if (!edits) {
      const plan = planEdits(imageRequest({ rotate: 90, resize: { width: 100 } }).edits, { animated: true });
      expect(plan.map(({ step }) => step.name)).toEqual(['operation', 'resize']);
      return;
    }
    expect(names(edits)).toEqual(expected);
  });

  // Odd sizes are where JPEG shrink-on-load rounds: the rendered size must still be SIH's.
  test.each([
    [4000, 3000, 90, { width: 100 }],
    [4001, 2999, 90, { width: 123 }],
    [3001, 1999, 270, { height: 97 }],
    [2049, 1537, 180, { width: 255 }],
    [1999, 3001, 90, { height: 301, withoutEnlargement: true }],
  ])('%i×%i JPEG, rotate %i, resize %j', async (width, height, angle, size) => {
    const jpeg = await sharp(samplePhoto('coffee')).resize(width, height, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
    const rendered = await renderImage(jpeg, imageRequest({ rotate: angle, resize: size } as Edits), deps);
    const expected = await sharp(jpeg).rotate(angle).resize(size).png().toBuffer();
    const info = await imageInfo(expected);
    expect([rendered.width, rendered.height]).toEqual([info.width, info.height]);
    expect((await pixelDifference(rendered.data, expected)).mean).toBeLessThan(3);
  });

  test('an EXIF-rotated source (orientation 6): the plan works in the frame as displayed', async () => {
    const tagged = await sharp(samplePhoto('coffee')).resize(601, 399, { fit: 'fill' }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const rendered = await renderImage(tagged, imageRequest({ rotate: 90, resize: { width: 101 } }), deps);
    const expected = await sharp(tagged).autoOrient().rotate(90).resize({ width: 101 }).png().toBuffer();
    const info = await imageInfo(expected);
    expect([rendered.width, rendered.height]).toEqual([info.width, info.height]);
    // Shrink-on-load resamples a little differently from a full decode; a mirrored or turned
    // image would differ by tens of levels.
    expect((await pixelDifference(rendered.data, expected)).mean).toBeLessThan(5);
    const mirrored = await sharp(expected).flop().toBuffer();
    expect((await pixelDifference(rendered.data, mirrored)).mean).toBeGreaterThan(10);
  });
});

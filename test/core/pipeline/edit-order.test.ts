/**
 * The edits apply in the order the request lists them, as SIH hands them to sharp one by one:
 * each row is rendered by the pipeline and by raw sharp making the same calls in the same order
 * (what SIH's image-handler does), and must agree in size and pixels.
 */
import sharp, { type Sharp } from 'sharp';
import { AttentionAnalyzer } from '../../../core/adapters/local/attention-analyzer.js';
import type { Edits } from '../../../core/edits.js';
import { planEdits, renderImage } from '../../../core/pipeline/render-image.js';
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

  test('the plan keeps the request order and turns extract into the crop step', () => {
    const plan = planEdits(imageRequest({ grayscale: true, extract: { left: 0, top: 0, width: 1, height: 1 }, resize: { width: 1 }, animated: false }).edits);
    expect(plan.map(({ step }) => step.name)).toEqual(['operation', 'crop', 'resize']);
  });
});

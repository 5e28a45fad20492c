/**
 * SIH's smartCrop through the whole pipeline: first with a scripted analyzer (exact geometry, SIH's
 * errors and edge cases), then with the real local analyzer on real portraits.
 */
import sharp from 'sharp';
import { LocalAnalyzer } from '../../../../core/adapters/local/local-analyzer.js';
import { smartCropArea } from '../../../../core/pipeline/plan-geometry.js';
import { renderImage } from '../../../../core/pipeline/render-image.js';
import type { Analyzer, DetectSubjectsOptions, SubjectBox, SubjectsResult } from '../../../../core/ports/analyzer.js';
import { fixture, imageInfo, regionColor, samplePhoto } from '../../../helpers/images.js';
import { imageRequest, renderDeps } from '../../../helpers/render.js';

const face = (left: number, top: number, width: number, height: number): SubjectBox => ({ left, top, width, height, kind: 'face', confidence: 99 });

/** Answers the given faces and subject, and remembers what it was asked. */
function scripted(result: Partial<SubjectsResult>): Analyzer & { calls: DetectSubjectsOptions[] } {
  const calls: DetectSubjectsOptions[] = [];
  return {
    name: 'scripted',
    calls,
    moderate: async () => ({ analyzer: 'scripted', ms: 0, labels: [] }),
    detectSubjects: async (_image, options = {}) => {
      calls.push(options);
      return { analyzer: 'scripted', ms: 0, faces: [], ...result };
    },
  };
}

/** 400 × 300, grey, with a red square at 100,60 (100 × 90) and a blue one at 260,180 (80 × 60). */
async function twoSquares(): Promise<Buffer> {
  return sharp({ create: { width: 400, height: 300, channels: 3, background: '#808080' } })
    .composite([
      { input: { create: { width: 100, height: 90, channels: 3, background: '#ff0000' } }, left: 100, top: 60 },
      { input: { create: { width: 80, height: 60, channels: 3, background: '#0000ff' } }, left: 260, top: 180 },
    ])
    .png()
    .toBuffer();
}
const red = face(0.25, 0.2, 0.25, 0.3);
const blue = face(0.65, 0.6, 0.2, 0.2);

describe('smartCrop with a scripted analyzer', () => {
  test('crops to face 0 (the largest) by default, and tells the analyzer where the source is', async () => {
    const analyzer = scripted({ faces: [red, blue] });
    const result = await renderImage(await twoSquares(), imageRequest({ smartCrop: true }), renderDeps(analyzer));
    expect(await imageInfo(result.data)).toMatchObject({ width: 100, height: 90 });
    expect(await regionColor(result.data, { left: 0, top: 0, width: 100, height: 90 })).toEqual([255, 0, 0, 255]);
    expect(analyzer.calls[0]!.source).toEqual({ bucket: 'images', key: 'photo.jpg' });
  });

  test('faceIndex picks another face; padding grows the box', async () => {
    const result = await renderImage(await twoSquares(), imageRequest({ smartCrop: { faceIndex: 1, padding: 10 } }), renderDeps(scripted({ faces: [red, blue] })));
    expect(await imageInfo(result.data)).toMatchObject({ width: 100, height: 80 });
    expect(await regionColor(result.data, { left: 10, top: 10, width: 80, height: 60 })).toEqual([0, 0, 255, 255]);
    expect(result.notes.smartCrop).toEqual({ left: 250, top: 170, width: 100, height: 80 });
  });

  test('a faceIndex beyond the faces found is SIH’s 400 FaceIndexOutOfRange', async () => {
    await expect(renderImage(await twoSquares(), imageRequest({ smartCrop: { faceIndex: 2 } }), renderDeps(scripted({ faces: [red, blue] })))).rejects.toMatchObject({
      status: 400,
      code: 'SmartCrop::FaceIndexOutOfRange',
    });
  });

  test('padding past the edges is shrunk to the image, as SIH does', async () => {
    const result = await renderImage(await twoSquares(), imageRequest({ smartCrop: { padding: 500 } }), renderDeps(scripted({ faces: [red] })));
    expect(await imageInfo(result.data)).toMatchObject({ width: 400, height: 300 });
  });

  test('a box Rekognition reports partly outside the image is clamped', async () => {
    const result = await renderImage(await twoSquares(), imageRequest({ smartCrop: true }), renderDeps(scripted({ faces: [face(-0.1, 0.75, 0.3, 0.5)] })));
    expect(result.notes.smartCrop).toEqual({ left: 0, top: 225, width: 120, height: 75 });
  });

  test('a box with nothing left inside the image is SIH’s 400 PaddingOutOfBounds', async () => {
    await expect(renderImage(await twoSquares(), imageRequest({ smartCrop: true }), renderDeps(scripted({ faces: [face(1, 0.5, 0.2, 0.2)] })))).rejects.toMatchObject({
      status: 400,
      code: 'SmartCrop::PaddingOutOfBounds',
    });
  });

  test('with no face, the salient region stands in for face 0', async () => {
    const subject: SubjectBox = { ...blue, kind: 'saliency', confidence: 50 };
    const result = await renderImage(await twoSquares(), imageRequest({ smartCrop: true }), renderDeps(scripted({ subject })));
    expect(result.notes.smartCrop).toEqual({ left: 260, top: 180, width: 80, height: 60 });
  });

  test.each([
    ['no face and no subject', {}, { smartCrop: true }],
    ['no face, and a faceIndex above 0 (SIH keeps the whole image)', { subject: { ...blue, kind: 'saliency' as const, confidence: 50 } }, { smartCrop: { faceIndex: 3 } }],
  ])('%s: the whole image', async (_name, result, edits) => {
    const rendered = await renderImage(await twoSquares(), imageRequest(edits), renderDeps(scripted(result)));
    expect(await imageInfo(rendered.data)).toMatchObject({ width: 400, height: 300 });
  });

  test('the crop comes before a resize', async () => {
    const result = await renderImage(await twoSquares(), imageRequest({ smartCrop: true, resize: { width: 50 } }), renderDeps(scripted({ faces: [red] })));
    expect(await imageInfo(result.data)).toMatchObject({ width: 50, height: 45 });
  });
});

describe('smartCropArea (SIH getCropArea test vectors)', () => {
  test.each([
    [20, { left: 90, top: 112, width: 86, height: 112 }],
    [500, { left: 0, top: 0, width: 200, height: 400 }],
  ])('padding %d', (padding, expected) => {
    expect(smartCropArea({ height: 0.18, left: 0.55, top: 0.33, width: 0.23 }, padding, { width: 200, height: 400 })).toEqual(expected);
  });
});

describe('smartCrop with the local analyzer on real portraits', () => {
  const analyzer = new LocalAnalyzer();
  afterAll(() => analyzer.close());

  /** Share of the labelled face (pixels) inside the crop. */
  function kept(faceBox: number[], crop: { left: number; top: number; width: number; height: number }): number {
    const [left, top, width, height] = faceBox as [number, number, number, number];
    const x = Math.max(0, Math.min(left + width, crop.left + crop.width) - Math.max(left, crop.left));
    const y = Math.max(0, Math.min(top + height, crop.top + crop.height) - Math.max(top, crop.top));
    return (x * y) / (width * height);
  }

  test.each([
    ['astronaut', () => samplePhoto('astronaut'), [175, 75, 95, 87]],
    ['Grace Hopper', () => fixture('analysis', 'photos', 'grace-hopper.jpg'), [170, 133, 180, 184]],
    ['a small face beside a more salient rocket', () => fixture('analysis', 'photos', 'composite-hopper-beside-rocket.jpg'), [1389, 327, 90, 92]],
  ])('%s: the face stays inside the crop, and the crop is tight', async (_name, load, labelled) => {
    const image = load();
    const { width = 0, height = 0 } = await sharp(image).metadata();
    const result = await renderImage(image, imageRequest({ smartCrop: { padding: 20 } }), renderDeps(analyzer));
    const crop = result.notes.smartCrop as { left: number; top: number; width: number; height: number };
    expect(kept(labelled, crop)).toBeGreaterThan(0.95);
    expect((crop.width * crop.height) / (width * height)).toBeLessThan(0.35);
    expect(await imageInfo(result.data)).toMatchObject({ width: crop.width, height: crop.height });
  }, 30_000);
});

/**
 * The local analyzer with its real models (nsfwjs MobileNetV2, face-api SSD MobileNet), loaded once
 * for this file. Assertions are about behaviour on real photographs, never about timings.
 */
import { LocalAnalyzer } from '../../../../core/adapters/local/local-analyzer.js';
import { ModelWorker } from '../../../../core/adapters/local/model-worker.js';
import type { BoundingBox } from '../../../../core/ports/analyzer.js';
import { fixture, makeImage, samplePhoto } from '../../../helpers/images.js';
import sharp from 'sharp';
import { registry } from '../../../../core/observability/prometheus.js';

const models = new ModelWorker();
const analyzer = new LocalAnalyzer({ models });

beforeAll(() => analyzer.load(), 60_000);
afterAll(() => analyzer.close());

/** How much of `inner` (pixels) lies inside `outer` (ratios of an image of `size`), 0..1. */
function coverage(inner: [number, number, number, number], outer: BoundingBox, size: { width: number; height: number }): number {
  const [left, top, width, height] = inner;
  const x1 = Math.max(left, outer.left * size.width);
  const y1 = Math.max(top, outer.top * size.height);
  const x2 = Math.min(left + width, (outer.left + outer.width) * size.width);
  const y2 = Math.min(top + height, (outer.top + outer.height) * size.height);
  return (Math.max(0, x2 - x1) * Math.max(0, y2 - y1)) / (width * height);
}

describe('LocalAnalyzer.detectSubjects', () => {
  test.each([
    ['astronaut (samples)', () => samplePhoto('astronaut'), [175, 75, 95, 87]],
    ['Grace Hopper', () => fixture('analysis', 'photos', 'grace-hopper.jpg'), [170, 133, 180, 184]],
    ['a face in profile, greyscale', () => fixture('analysis', 'photos', 'cameraman.jpg'), [200, 124, 55, 70]],
  ] as const)('finds the one face in %s where it is labelled', async (_name, load, labelled) => {
    const image = load();
    const { width = 0, height = 0 } = await sharp(image).metadata();
    const result = await analyzer.detectSubjects(image);
    expect(result.faces).toHaveLength(1);
    expect(result.faces[0]).toMatchObject({ kind: 'face' });
    expect(result.faces[0]!.confidence).toBeGreaterThan(50);
    // The detected box overlaps most of the labelled face (boxes differ in where a face "ends").
    expect(coverage([...labelled], result.faces[0]!, { width, height })).toBeGreaterThan(0.7);
    expect(result.subject).toMatchObject({ kind: 'saliency' });
    expect(result.analyzer).toMatch(/^local\(nsfwjs@.+\/MobileNetV2\+face-api@.+\/ssd_mobilenetv1\/search-\d+\+libvips-attention\)$/);
  });

  test('orders faces largest first', async () => {
    const result = await analyzer.detectSubjects(fixture('analysis', 'photos', 'composite-two-portraits.jpg'));
    expect(result.faces).toHaveLength(2);
    expect(result.faces[0]!.width * result.faces[0]!.height).toBeGreaterThan(result.faces[1]!.width * result.faces[1]!.height);
    // The larger face is the astronaut, on the right.
    expect(result.faces[0]!.left).toBeGreaterThan(0.5);
  });

  test('finds no face on a photograph without people, and still gives a salient region', async () => {
    const result = await analyzer.detectSubjects(samplePhoto('coffee'));
    expect(result.faces).toEqual([]);
    expect(result.subject).toBeDefined();
  });

  test('answers in the frame of the auto-oriented image (EXIF orientation 6)', async () => {
    // Store the portrait rotated 90° anticlockwise with orientation 6: displayed upright, it is the original.
    const stored = await sharp(samplePhoto('astronaut')).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const upright = await analyzer.detectSubjects(samplePhoto('astronaut'));
    const rotated = await analyzer.detectSubjects(stored);
    expect(rotated.faces).toHaveLength(1);
    expect(Math.abs(rotated.faces[0]!.left - upright.faces[0]!.left)).toBeLessThan(0.05);
    expect(Math.abs(rotated.faces[0]!.top - upright.faces[0]!.top)).toBeLessThan(0.05);
  });
});

describe('LocalAnalyzer.moderate', () => {
  test.each(['astronaut', 'chelsea', 'coffee', 'rocket'] as const)('flags nothing on %s at SIH’s default threshold', async (name) => {
    const result = await analyzer.moderate(samplePhoto(name), { minConfidence: 75 });
    expect(result.labels).toEqual([]);
    expect(result.analyzer).toMatch(/^nsfwjs@.+\/MobileNetV2$/);
  });

  test('labels what the model scores as explicit with Rekognition’s taxonomy, parents included', async () => {
    const result = await analyzer.moderate(fixture('analysis', 'model-triggering', 'abstract-blobs-120.jpg'), { minConfidence: 75 });
    expect(result.labels.map((label) => label.name)).toEqual(['Explicit', 'Explicit Nudity', 'Explicit Sexual Activity']);
    expect(result.labels[0]).toMatchObject({ parentName: '', taxonomyLevel: 1 });
    expect(result.labels[1]).toMatchObject({ parentName: 'Explicit', taxonomyLevel: 2 });
    expect(result.labels[0]!.confidence).toBeGreaterThan(75);
  });
});

describe('LocalAnalyzer: bad input and resources', () => {
  test('a corrupt image is an ImageError, not a crash', async () => {
    const truncated = samplePhoto('astronaut').subarray(0, 2000);
    await expect(analyzer.moderate(truncated, { minConfidence: 75 })).rejects.toMatchObject({ name: 'ImageError', status: 422 });
    await expect(analyzer.detectSubjects(Buffer.from('not an image'))).rejects.toMatchObject({ name: 'ImageError' });
  });

  test('tiny and transparent images are analysed', async () => {
    const tiny = await makeImage(8, 8, 'png', '#ff000080');
    await expect(analyzer.moderate(tiny, { minConfidence: 75 })).resolves.toMatchObject({ labels: [] });
    await expect(analyzer.detectSubjects(tiny)).resolves.toMatchObject({ faces: [] });
  });

  test('leaves no tensor behind', async () => {
    // Earlier tests warmed both models up, so any tensor left now would be a leak per call.
    // The models live in the analysis worker: ask its engine.
    const before = await models.tensors();
    expect(before).toBeGreaterThan(0);
    await analyzer.moderate(samplePhoto('chelsea'), { minConfidence: 50 });
    await analyzer.detectSubjects(samplePhoto('chelsea'));
    expect(await models.tensors()).toBe(before);
  });
});

test('each analysis is timed in /metrics under its own model and kind: faces and subject apart, moderation', async () => {
  const count = async (analyzerName: string, kind: string) => {
    const series = `shutter_analyzer_duration_seconds_count{analyzer="${analyzerName}",kind="${kind}"} `;
    const line = (await registry.metrics()).split('\n').find((candidate) => candidate.startsWith(series));
    return line ? Number(line.slice(series.length)) : 0;
  };
  const faces = analyzer.name.slice('local('.length).split('+')[1]!; // face-api@<version>/<model>
  const moderation = analyzer.name.slice('local('.length).split('+')[0]!; // nsfwjs@<version>/<model>
  const before = [await count(faces, 'faces'), await count('libvips-attention', 'subject'), await count(moderation, 'moderation')];
  await analyzer.detectSubjects(samplePhoto('rocket'));
  await analyzer.moderate(samplePhoto('rocket'), { minConfidence: 75 });
  expect([await count(faces, 'faces'), await count('libvips-attention', 'subject'), await count(moderation, 'moderation')]).toEqual(before.map((n) => n + 1));
});

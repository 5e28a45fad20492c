/**
 * Small faces in a large photo, with the real detector (face-api SSD MobileNet, in the analysis
 * worker). The scene is composed from photographs that ship in the repository (samples/ and the
 * analysis fixtures, from scikit-image's and matplotlib's PyPI wheels): two portraits scaled down so
 * each face is 50 px wide, placed in a 2400 × 1600 photo (the coffee photo, enlarged and softened).
 */
import sharp from 'sharp';
import { FaceApiDetector } from '../../../../core/adapters/local/face-api-detector.js';
import { ModelWorker } from '../../../../core/adapters/local/model-worker.js';
import type { SubjectBox } from '../../../../core/ports/analyzer.js';
import { fixture, samplePhoto } from '../../../helpers/images.js';

type Box = [number, number, number, number];
const SIZE = { width: 2400, height: 1600 };
const models = new ModelWorker();
afterAll(() => models.close());

/** A portrait scaled so its labelled face is `side` px wide, pasted at (left, top); returns the face's box in the scene. */
async function paste(photo: Buffer, photoWidth: number, face: Box, side: number, left: number, top: number) {
  const scale = side / face[2];
  const input = await sharp(photo).resize(Math.round(photoWidth * scale)).toBuffer();
  const box: Box = [left + face[0] * scale, top + face[1] * scale, face[2] * scale, face[3] * scale];
  return { overlay: { input, left, top }, box };
}

async function scene(faceSide: number, at: [number, number] = [1500, 900], size = SIZE, hopperAt: [number, number] = [300, 200]): Promise<{ image: Buffer; faces: Box[] }> {
  const astronaut = await paste(samplePhoto('astronaut'), 512, [175, 75, 95, 87], faceSide, ...at);
  const hopper = await paste(fixture('analysis', 'photos', 'grace-hopper.jpg'), 512, [170, 133, 180, 184], faceSide, ...hopperAt);
  const background = await sharp(samplePhoto('coffee')).resize(size.width, size.height, { fit: 'fill' }).blur(3).toBuffer();
  const image = await sharp(background).composite([astronaut.overlay, hopper.overlay]).jpeg({ quality: 90 }).toBuffer();
  return { image, faces: [astronaut.box, hopper.box] };
}

function iou(truth: Box, found: SubjectBox, size: { width: number; height: number }): number {
  const box: Box = [found.left * size.width, found.top * size.height, found.width * size.width, found.height * size.height];
  const x = Math.max(0, Math.min(truth[0] + truth[2], box[0] + box[2]) - Math.max(truth[0], box[0]));
  const y = Math.max(0, Math.min(truth[1] + truth[3], box[1] + box[3]) - Math.max(truth[1], box[1]));
  return (x * y) / (truth[2] * truth[3] + box[2] * box[3] - x * y);
}


test('finds both 50 px faces in a 2400 px photo, each box within tolerance of the face', async () => {
  const { image, faces } = await scene(50);
  const result = await new FaceApiDetector({ models }).detectSubjects(image);
  expect(result.faces).toHaveLength(2);
  for (const truth of faces) {
    // Boxes differ in where a face "ends" (SSD's reach from brow to chin): IoU ≥ 0.4 and the centres within 15 px.
    const best = result.faces.reduce((a, b) => (iou(truth, a, SIZE) >= iou(truth, b, SIZE) ? a : b));
    expect(iou(truth, best, SIZE)).toBeGreaterThan(0.4);
    expect(Math.abs((best.left + best.width / 2) * SIZE.width - (truth[0] + truth[2] / 2))).toBeLessThan(15);
    expect(Math.abs((best.top + best.height / 2) * SIZE.height - (truth[1] + truth[3] / 2))).toBeLessThan(15);
    expect(best.confidence).toBeGreaterThan(50);
  }
}, 180_000);

test('proposals at 12 px confirmed at 18 px find the same boxes as the whole copy seen at 18 px (session 5)', async () => {
  const { image } = await scene(50);
  const [proposed, full] = await Promise.all([new FaceApiDetector({ models }).detectSubjects(image), new FaceApiDetector({ models, proposalSide: 0 }).detectSubjects(image)]);
  expect(proposed.faces).toHaveLength(2);
  expect(full.faces).toHaveLength(2);
  for (const face of full.faces) {
    const same = proposed.faces.find((other) => Math.abs(other.left - face.left) * SIZE.width < 2 && Math.abs(other.top - face.top) * SIZE.height < 2);
    expect(same).toBeDefined();
    expect(Math.abs(same!.width - face.width) * SIZE.width).toBeLessThan(2);
    expect(Math.abs(same!.confidence - face.confidence)).toBeLessThan(5);
  }
}, 180_000);

test('a 34 px face near the edge of the copy gets the box the whole copy gives it, not its first look\'s (a tight crop cut that one)', async () => {
  // The evaluation's composite (1600 × 600, a 90 px face 30 px from the right edge): confirmed in a 128 px
  // window, or standing as the first look saw it, its box was 5 px narrower and a padding-0 crop kept 89 % of the face.
  const image = fixture('analysis', 'photos', 'composite-hopper-beside-rocket.jpg');
  const size = { width: 1600, height: 600 };
  const [proposed, full] = await Promise.all([new FaceApiDetector({ models }).detectSubjects(image), new FaceApiDetector({ models, proposalSide: 0 }).detectSubjects(image)]);
  expect(proposed.faces).toHaveLength(1);
  expect(full.faces).toHaveLength(1);
  const [a, b] = [proposed.faces[0]!, full.faces[0]!];
  for (const key of ['left', 'width'] as const) expect(Math.abs(a[key] - b[key]) * size.width).toBeLessThan(1.5);
  for (const key of ['top', 'height'] as const) expect(Math.abs(a[key] - b[key]) * size.height).toBeLessThan(1.5);
  expect(iou([1389, 327, 90, 92], a, size)).toBeGreaterThan(0.5);
}, 180_000);

test('the whole-image look alone (as before #19) misses them: the pixel-for-pixel look is what finds them', async () => {
  const { image } = await scene(50);
  const result = await new FaceApiDetector({ models, maxTiles: 0 }).detectSubjects(image);
  expect(result.faces).toEqual([]);
}, 180_000);

test('a larger face, seen by both looks, is found once, not once per look', async () => {
  // 150 px faces: 56 px in the pixel-for-pixel copy and 16 px in the 256 px look, so both may see each.
  const { image, faces } = await scene(150, [1400, 200]);
  const result = await new FaceApiDetector({ models }).detectSubjects(image);
  expect(result.faces).toHaveLength(2);
  for (const truth of faces) expect(Math.max(...result.faces.map((face) => iou(truth, face, SIZE)))).toBeGreaterThan(0.4);
}, 180_000);

test('a 50 px face where a search for 16 px faces missed it is found (the score depends on the place on the anchor grid)', async () => {
  // Here the astronaut's face scored 0.42 with the copy at 16 px faces (session 4's setting), 1.00 at 18 px.
  const { image, faces } = await scene(50, [1542, 912]);
  const result = await new FaceApiDetector({ models }).detectSubjects(image);
  expect(result.faces).toHaveLength(2);
  for (const truth of faces) expect(Math.max(...result.faces.map((face) => iou(truth, face, SIZE)))).toBeGreaterThan(0.4);
}, 180_000);

test('a 4000 px photo: both 50 px faces found, the copy seen in strips', async () => {
  const size = { width: 4000, height: 2667 };
  const { image, faces } = await scene(50, [2500, 1500], size, [500, 333]);
  const result = await new FaceApiDetector({ models }).detectSubjects(image);
  expect(result.faces).toHaveLength(2);
  for (const truth of faces) expect(Math.max(...result.faces.map((face) => iou(truth, face, size)))).toBeGreaterThan(0.4);
}, 180_000);

test('a close-up in a large photo (a 1450 px face in 2400 × 1600) is found, once', async () => {
  // Larger than the pixel-for-pixel look's anchors reach: the shrunk look finds it.
  const scale = 1450 / 180;
  const portrait = await sharp(fixture('analysis', 'photos', 'grace-hopper.jpg')).resize(Math.round(512 * scale)).toBuffer();
  const [left, top] = [Math.round(260 * scale - 1200), Math.round(225 * scale - 800)];
  const image = await sharp(portrait).extract({ left, top, width: 2400, height: 1600 }).jpeg({ quality: 90 }).toBuffer();
  const truth: Box = [170 * scale - left, 133 * scale - top, 180 * scale, Math.min(1600, 184 * scale)];
  const result = await new FaceApiDetector({ models }).detectSubjects(image);
  expect(result.faces).toHaveLength(1);
  expect(iou(truth, result.faces[0]!, SIZE)).toBeGreaterThan(0.5);
}, 180_000);

test.each([
  [1600, 960],
  [2000, 1200],
])('a %i px photo filled by a %i px face: one face, not the face and a part of it', async (width, faceSide) => {
  // The whole copy seen at 18 px faces (session 5) also reported a strip of the face as a second face here.
  const height = Math.round((width * 2) / 3);
  const scale = faceSide / 180;
  const portrait = await sharp(fixture('analysis', 'photos', 'grace-hopper.jpg')).resize(Math.round(512 * scale)).toBuffer();
  const [left, top] = [Math.round(260 * scale - width / 2), Math.round(225 * scale - height / 2)];
  const image = await sharp(portrait).extract({ left, top, width, height }).jpeg({ quality: 90 }).toBuffer();
  const size = { width, height };
  const truth: Box = [170 * scale - left, 133 * scale - top, 180 * scale, Math.min(height, 184 * scale)];
  const result = await new FaceApiDetector({ models }).detectSubjects(image);
  expect(result.faces).toHaveLength(1);
  expect(iou(truth, result.faces[0]!, size)).toBeGreaterThan(0.5);
}, 180_000);

test('the pixel-for-pixel looks leave no tensor behind (anchors swapped back, outputs disposed)', async () => {
  const { image } = await scene(50);
  const detector = new FaceApiDetector({ models });
  await detector.detectSubjects(image); // warm: whatever the first inference keeps, it keeps once
  const before = await models.tensors();
  expect(before).toBeGreaterThan(0);
  await detector.detectSubjects(image);
  expect(await models.tensors()).toBe(before);
}, 180_000);

test.each([
  ['a thin panorama (3000 × 40)', 3000, 40],
  ['a thin tower (40 × 3000)', 40, 3000],
  ['just above the whole-look size (1400 × 1400)', 1400, 1400],
  ['an odd size (2401 × 1599)', 2401, 1599],
])('%s: searched pixel for pixel without error, boxes inside the image', async (_name, width, height) => {
  const image = await sharp(samplePhoto('chelsea')).resize(width, height, { fit: 'fill' }).jpeg().toBuffer();
  const result = await new FaceApiDetector({ models }).detectSubjects(image);
  for (const face of result.faces) {
    expect(face.left).toBeGreaterThanOrEqual(0);
    expect(face.top).toBeGreaterThanOrEqual(0);
    expect(face.left + face.width).toBeLessThanOrEqual(1);
    expect(face.top + face.height).toBeLessThanOrEqual(1);
  }
}, 180_000);

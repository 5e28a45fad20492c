/**
 * SSD MobileNet's anchors laid out for any input size (`ssd-anchors.ts`), checked against the ones
 * face-api ships for 512 × 512, and the pixel-for-pixel look checked against face-api's own on a
 * 512 px region (the real model, in this thread).
 */
import { detectFaces, loadFaceModel, type FaceModel } from '../../../../core/adapters/local/face-model.js';
import { toModelInput } from '../../../../core/adapters/local/model-input.js';
import { anchorCount, ssdAnchors } from '../../../../core/adapters/local/ssd-anchors.js';
import { fixture } from '../../../helpers/images.js';

let model: FaceModel;
let shipped: Float32Array;
beforeAll(async () => {
  model = await loadFaceModel('ssd_mobilenetv1');
  const params = model.faceapi.nets.ssdMobilenetv1.params as unknown as { output_layer: { extra_dim: { dataSync(): Float32Array } } };
  shipped = params.output_layer.extra_dim.dataSync();
}, 120_000);

test('laid out for 512 × 512, they are the shipped anchors', () => {
  expect(anchorCount(512, 512)).toBe(5118);
  const laid = ssdAnchors(shipped, 512, 512);
  expect(laid).toHaveLength(shipped.length);
  expect(Math.max(...laid.map((value, index) => Math.abs(value - shipped[index]!)))).toBeLessThan(1e-6);
});

test('for a larger input, the same box shapes in pixels on a larger grid', () => {
  const [height, width] = [544, 800];
  const laid = ssdAnchors(shipped, height, width);
  // Stride 16: 34 × 50 cells of 3 boxes, then 6 boxes per cell on grids of ceil(side / stride).
  expect(anchorCount(height, width)).toBe(34 * 50 * 3 + 17 * 25 * 6 + 9 * 13 * 6 + 5 * 7 * 6 + 3 * 4 * 6 + 2 * 2 * 6);
  expect(laid).toHaveLength(anchorCount(height, width) * 4);
  // The first box of the last stride-16 cell: 51.2 px square centred at (33.5 × 16, 49.5 × 16).
  const last = (34 * 50 - 1) * 3 * 4;
  const [ymin, xmin, ymax, xmax] = Array.from(laid.subarray(last, last + 4));
  expect(((ymax! - ymin!) * height)).toBeCloseTo(51.2, 3);
  expect(((xmax! - xmin!) * width)).toBeCloseTo(51.2, 3);
  expect(((ymin! + ymax!) / 2) * height).toBeCloseTo(33.5 * 16, 3);
  expect(((xmin! + xmax!) / 2) * width).toBeCloseTo(49.5 * 16, 3);
});

test('refuses anchors that are not the 512 × 512 layout', () => {
  expect(() => ssdAnchors(new Float32Array(40), 512, 512)).toThrow(/shipped SSD anchors/);
});

test("on a 512 px region, the pixel-for-pixel look finds what face-api's own look finds", async () => {
  const pixels = await toModelInput(fixture('analysis', 'photos', 'obama-official-portrait.jpg'), { maxSide: 1000 });
  const square = { left: 180, top: 0, width: 512, height: 512 };
  const own = await detectFaces(model, pixels, [square], 0.5);
  const native = await detectFaces(model, pixels, [{ ...square, scale: 1 }], 0.5);
  expect(own.length).toBeGreaterThan(0);
  expect(native).toHaveLength(own.length);
  native.forEach((face, index) => {
    for (const key of ['left', 'top', 'width', 'height'] as const) expect(Math.abs(face[key] - own[index]![key])).toBeLessThan(0.5);
    expect(Math.abs(face.score - own[index]!.score)).toBeLessThan(1e-3);
  });
  // A region that is not square, which face-api would pad and shrink, is seen as it is: the same face.
  const [wide] = await detectFaces(model, pixels, [{ left: 0, top: 0, width: 800, height: 600, scale: 1 }], 0.5);
  expect(Math.abs(wide!.left + wide!.width / 2 - (own[0]!.left + own[0]!.width / 2))).toBeLessThan(10);
}, 120_000);

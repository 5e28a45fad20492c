/**
 * face-api's detectors, run where the models live (the analysis worker), with weights that ship
 * inside the @vladmandic/face-api npm package (`model/`), on the shared tfjs WebAssembly runtime
 * through the package's `face-api.node-wasm.js` build (its default build needs tfjs-node, whose
 * install downloads).
 *
 * The main thread decodes the photo once and says which regions of it to look at, and how (the whole
 * image squeezed into the detector's square; for small faces the copy pixel for pixel, or tiles: see
 * `face-tiles.ts`), and how to confirm what a cheaper first look proposes (the windows depend on its
 * answer, so they are laid out here); each region is cut from the one tensor here, so the pixels cross the thread
 * boundary once. Like `nsfw-model.ts`, this module stays free of sharp,
 * metrics and TypeScript-only syntax.
 */
import path from 'node:path';
import type * as FaceApiModule from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import type { Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import { loadTfjs, requireModule, type Tfjs } from './model-runtime.js';
import type { RgbPixels } from './model-input.js';
import { confirmLooks, type FaceConfirm, type FaceLook } from './face-tiles.js';
import { anchorCount, ssdAnchors } from './ssd-anchors.js';

type FaceApi = typeof FaceApiModule;

export type FaceModelName = 'ssd_mobilenetv1' | 'tiny_face_detector';

/** The side each detector resizes its input to: a tile of this side is seen at full resolution. */
export const FACE_MODEL_INPUT: Record<FaceModelName, number> = { ssd_mobilenetv1: 512, tiny_face_detector: 416 };

export interface FaceModel {
  tf: Tfjs;
  faceapi: FaceApi;
  model: FaceModelName;
}

/** A detection in the pixels of the decoded copy, with the detector's score (0..1). */
export interface RawFace {
  left: number;
  top: number;
  width: number;
  height: number;
  score: number;
}

/**
 * Faces in each look at `pixels` (the whole copy, squeezed into the detector's square, when `looks` is
 * empty), in the copy's pixels. With `confirm`, the looks only propose: the small proposals are looked at
 * again at full scale around them (`confirmLooks`), and those looks' answer is the one kept.
 */
export async function detectFaces(loaded: FaceModel, pixels: RgbPixels, looks: readonly FaceLook[], minScore: number, confirm?: FaceConfirm): Promise<RawFace[]> {
  const image = loaded.tf.tensor3d(pixels.data, [pixels.height, pixels.width, 3], 'int32');
  try {
    const found = await lookAt(loaded, image, looks, confirm ? confirm.proposalScore : minScore);
    if (!confirm) return found;
    const { stand, looks: again } = confirmLooks(found, confirm, minScore);
    // No small proposal, no second look (an empty list would mean the whole copy, squeezed).
    return again.length ? [...stand, ...(await lookAt(loaded, image, again, minScore))] : stand;
  } finally {
    image.dispose();
  }
}

async function lookAt(loaded: FaceModel, image: Tensor3D, looks: readonly FaceLook[], minScore: number): Promise<RawFace[]> {
  const { tf, faceapi, model } = loaded;
  const options =
    model === 'ssd_mobilenetv1'
      ? new faceapi.SsdMobilenetv1Options({ minConfidence: minScore, maxResults: 100 })
      : new faceapi.TinyFaceDetectorOptions({ scoreThreshold: minScore, inputSize: FACE_MODEL_INPUT[model] });
  const [height, width] = image.shape;
  const whole: FaceLook = { left: 0, top: 0, width, height };
  const found: RawFace[] = [];
  for (const look of looks.length ? looks : [whole]) {
    const covers = look.left === 0 && look.top === 0 && look.width === width && look.height === height;
    const input = covers ? image : tf.slice(image, [look.top, look.left, 0], [look.height, look.width, 3]);
    try {
      const faces = look.scale !== undefined ? await nativeLook(loaded, input, look.scale, minScore) : await squareLook(faceapi, input, options);
      for (const face of faces) {
        if (look.maxFace === undefined || Math.max(face.width, face.height) <= look.maxFace) found.push({ ...face, left: look.left + face.left, top: look.top + face.top });
      }
    } finally {
      if (input !== image) input.dispose();
    }
  }
  return found;
}

/** face-api's own look: the region padded to a square and resized to the detector's input. */
async function squareLook(faceapi: FaceApi, input: unknown, options: unknown): Promise<RawFace[]> {
  const detections = await faceapi.detectAllFaces(input as never, options as never);
  return detections.map(({ box, score }) => ({ left: box.x, top: box.y, width: box.width, height: box.height, score }));
}

/**
 * SSD MobileNet on the region at `scale`, pixel for pixel, whatever its size: face-api's own network
 * code runs on the tensor as it is (its input step is handed the tensor instead of resizing it), with
 * anchors laid out for that size (`ssd-anchors.ts`) in place of the 512 × 512 ones for the one
 * synchronous forward pass; then the same non-maximum suppression face-api applies (IoU 0.5).
 */
async function nativeLook({ tf, faceapi, model }: FaceModel, region: Tensor3D, scale: number, minScore: number): Promise<RawFace[]> {
  if (model !== 'ssd_mobilenetv1') throw new Error(`${model} has no native-size look`);
  const [height, width] = region.shape;
  const size: [number, number] = [Math.max(1, Math.round(height * scale)), Math.max(1, Math.round(width * scale))];
  // Padded (black, like face-api's square) to whole cells of the stride-32 map: every stride-2 step then
  // halves an even side, so the cells line up with the input exactly as in a 512 px square.
  const padded: [number, number] = [Math.ceil(size[0] / 32) * 32, Math.ceil(size[1] / 32) * 32];
  const net = faceapi.nets.ssdMobilenetv1;
  const params = net.params as unknown as { output_layer: { extra_dim: Tensor3D } };
  const shipped = params.output_layer.extra_dim;
  const anchors = tf.tensor3d(ssdAnchors(shipped.dataSync() as Float32Array, padded[0], padded[1]), [1, anchorCount(padded[0], padded[1]), 4]);
  const batch = tf.tidy(() => {
    const resized = size[0] === height && size[1] === width ? region : tf.image.resizeBilinear(region, size);
    return tf.pad(tf.expandDims(resized, 0), [[0, 0], [0, padded[0] - size[0]], [0, padded[1] - size[1]], [0, 0]]);
  });
  let output: { boxes: Tensor2D[]; scores: Tensor1D[] };
  params.output_layer.extra_dim = anchors;
  try {
    output = net.forwardInput({ toBatchTensor: () => batch } as never) as never;
  } finally {
    params.output_layer.extra_dim = shipped;
    anchors.dispose();
    batch.dispose();
  }
  const [boxes] = output.boxes as [Tensor2D];
  const [scores] = output.scores as [Tensor1D];
  try {
    const kept = await tf.image.nonMaxSuppressionAsync(boxes, scores, 100, 0.5, minScore);
    const [indices, corners, values] = [await kept.data(), await boxes.data(), await scores.data()];
    kept.dispose();
    // Back to the region's pixels: the boxes are normalised to the padded input, clamped to the image like face-api's.
    const [toY, toX] = [(padded[0] * height) / size[0], (padded[1] * width) / size[1]];
    return Array.from(indices, (index) => {
      const [top, left, bottom, right] = [0, 1, 2, 3].map((at) => Math.max(0, corners[index * 4 + at]!));
      const [y0, x0, y1, x1] = [Math.min(height, top! * toY), Math.min(width, left! * toX), Math.min(height, bottom! * toY), Math.min(width, right! * toX)];
      return { left: x0, top: y0, width: x1 - x0, height: y1 - y0, score: values[index]! };
    });
  } finally {
    boxes.dispose();
    scores.dispose();
  }
}

export async function loadFaceModel(model: FaceModelName): Promise<FaceModel> {
  const tf = await loadTfjs();
  const faceapi = requireModule('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const modelDir = path.join(path.dirname(requireModule.resolve('@vladmandic/face-api/package.json')), 'model');
  const net = model === 'ssd_mobilenetv1' ? faceapi.nets.ssdMobilenetv1 : faceapi.nets.tinyFaceDetector;
  await net.loadFromDisk(modelDir);
  return { tf, faceapi, model };
}

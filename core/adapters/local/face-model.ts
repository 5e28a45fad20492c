/**
 * face-api's detectors, run where the models live (the analysis worker), with weights that ship
 * inside the @vladmandic/face-api npm package (`model/`), on the shared tfjs WebAssembly runtime
 * through the package's `face-api.node-wasm.js` build (its default build needs tfjs-node, whose
 * install downloads).
 *
 * The main thread decodes the photo once and says which regions of it to look at (the whole image,
 * and tiles for small faces: see `face-tiles.ts`); each region is cut from the one tensor here, so the
 * pixels cross the thread boundary once. Like `nsfw-model.ts`, this module stays free of sharp,
 * metrics and TypeScript-only syntax.
 */
import path from 'node:path';
import type * as FaceApiModule from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import { loadTfjs, requireModule, type Tfjs } from './model-runtime.js';
import type { RgbPixels } from './model-input.js';
import type { PixelRegion } from './face-tiles.js';

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

/** Faces in each region of `pixels` (the whole copy when `regions` is empty), in the copy's pixels. */
export async function detectFaces({ tf, faceapi, model }: FaceModel, pixels: RgbPixels, regions: readonly PixelRegion[], minScore: number): Promise<RawFace[]> {
  const options =
    model === 'ssd_mobilenetv1'
      ? new faceapi.SsdMobilenetv1Options({ minConfidence: minScore, maxResults: 100 })
      : new faceapi.TinyFaceDetectorOptions({ scoreThreshold: minScore, inputSize: FACE_MODEL_INPUT[model] });
  const whole = { left: 0, top: 0, width: pixels.width, height: pixels.height };
  const image = tf.tensor3d(pixels.data, [pixels.height, pixels.width, 3], 'int32');
  const found: RawFace[] = [];
  try {
    for (const region of regions.length ? regions : [whole]) {
      const input = region === whole ? image : tf.slice(image, [region.top, region.left, 0], [region.height, region.width, 3]);
      try {
        for (const { box, score } of await faceapi.detectAllFaces(input as never, options)) {
          found.push({ left: region.left + box.x, top: region.top + box.y, width: box.width, height: box.height, score });
        }
      } finally {
        if (input !== image) input.dispose();
      }
    }
  } finally {
    image.dispose();
  }
  return found;
}

export async function loadFaceModel(model: FaceModelName): Promise<FaceModel> {
  const tf = await loadTfjs();
  const faceapi = requireModule('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const modelDir = path.join(path.dirname(requireModule.resolve('@vladmandic/face-api/package.json')), 'model');
  const net = model === 'ssd_mobilenetv1' ? faceapi.nets.ssdMobilenetv1 : faceapi.nets.tinyFaceDetector;
  await net.loadFromDisk(modelDir);
  return { tf, faceapi, model };
}

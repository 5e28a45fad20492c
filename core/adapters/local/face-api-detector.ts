/**
 * Face detection on the CPU with @vladmandic/face-api, whose model weights ship inside its npm
 * package (`model/`), run on the shared tfjs WebAssembly runtime through the package's
 * `face-api.node-wasm.js` build (its default build needs tfjs-node, whose install downloads).
 *
 * SSD MobileNet v1 is the default detector: on the shipped evaluation set it found every labelled
 * face, including a small one in a wide composite that the Tiny detector misses; ~260 ms per image
 * warm on a quiet 2-core machine. The Tiny detector (about 4× less CPU, looser boxes, 2 faces missed)
 * is the `LOCAL_FACE_MODEL=tiny` choice (figures in `bench/README.md`).
 */
import path from 'node:path';
import type * as FaceApiModule from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import type { BoundingBox, DetectSubjectsOptions, SubjectBox, SubjectDetector, SubjectsResult } from '../../ports/analyzer.js';
import { DEFAULTS } from '../../limits.js';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from '../../pipeline/sharp-factory.js';
import { toModelInput } from './model-input.js';
import { loadTfjs, packageVersion, requireModule, type Tfjs } from './model-runtime.js';
import { recordAnalysis } from '../../observability/metrics.js';

type FaceApi = typeof FaceApiModule;

export type FaceModelName = 'ssd_mobilenetv1' | 'tiny_face_detector';

export interface FaceApiDetectorOptions {
  model?: FaceModelName;
  /** Detections scoring below this (0..1) are dropped. */
  minScore?: number;
  /** Longest side of the copy the detector sees. */
  maxSide?: number;
  limits?: ImageLimits;
}

export class FaceApiDetector implements SubjectDetector {
  readonly name: string;
  private readonly model: FaceModelName;
  private readonly minScore: number;
  private readonly maxSide: number;
  private readonly limits: ImageLimits;
  private loaded: Promise<{ tf: Tfjs; faceapi: FaceApi }> | undefined;

  constructor(options: FaceApiDetectorOptions = {}) {
    this.model = options.model ?? 'ssd_mobilenetv1';
    this.minScore = options.minScore ?? DEFAULTS.faceMinScore;
    this.maxSide = options.maxSide ?? DEFAULTS.faceDetectionMaxSide;
    this.limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
    this.name = `face-api@${packageVersion('@vladmandic/face-api')}/${this.model}`;
  }

  /** Loads the detector (once); called by the first detection, or ahead of time to take the cost at start. */
  load(): Promise<{ tf: Tfjs; faceapi: FaceApi }> {
    this.loaded ??= loadFaceApi(this.model).catch((error: unknown) => {
      this.loaded = undefined;
      throw error;
    });
    return this.loaded;
  }

  async detectSubjects(image: Buffer, options: DetectSubjectsOptions = {}): Promise<SubjectsResult> {
    const started = performance.now();
    const [{ tf, faceapi }, pixels] = await Promise.all([this.load(), toModelInput(image, { maxSide: this.maxSide }, this.limits)]);
    options.signal?.throwIfAborted();
    const detectorOptions =
      this.model === 'ssd_mobilenetv1'
        ? new faceapi.SsdMobilenetv1Options({ minConfidence: this.minScore, maxResults: 100 })
        : new faceapi.TinyFaceDetectorOptions({ scoreThreshold: this.minScore, inputSize: 416 });
    const input = tf.tensor3d(pixels.data, [pixels.height, pixels.width, 3], 'int32');
    let detections: Awaited<ReturnType<FaceApi['detectAllFaces']>>;
    try {
      detections = await faceapi.detectAllFaces(input, detectorOptions);
    } finally {
      input.dispose();
    }
    const faces = detections
      .map(({ relativeBox: box, score }) => clipToImage({ left: box.x, top: box.y, width: box.width, height: box.height }, score * 100))
      .filter((face): face is SubjectBox => face !== undefined)
      .sort((a, b) => b.width * b.height - a.width * a.height);
    const ms = performance.now() - started;
    recordAnalysis(this.name, 'faces', ms);
    return { analyzer: this.name, ms, faces };
  }
}

/** Keeps the part of a box inside the image (detectors may overshoot at the edges), like Rekognition's answers. */
function clipToImage(box: BoundingBox, confidence: number): SubjectBox | undefined {
  const left = Math.max(0, box.left);
  const top = Math.max(0, box.top);
  const right = Math.min(1, box.left + box.width);
  const bottom = Math.min(1, box.top + box.height);
  if (right <= left || bottom <= top) return undefined;
  return { left, top, width: right - left, height: bottom - top, kind: 'face', confidence };
}

async function loadFaceApi(model: FaceModelName): Promise<{ tf: Tfjs; faceapi: FaceApi }> {
  const tf = await loadTfjs();
  const faceapi = requireModule('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const modelDir = path.join(path.dirname(requireModule.resolve('@vladmandic/face-api/package.json')), 'model');
  const net = model === 'ssd_mobilenetv1' ? faceapi.nets.ssdMobilenetv1 : faceapi.nets.tinyFaceDetector;
  await net.loadFromDisk(modelDir);
  return { tf, faceapi };
}

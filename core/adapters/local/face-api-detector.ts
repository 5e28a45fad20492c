/**
 * Face detection on the CPU with @vladmandic/face-api, whose model weights ship inside its npm
 * package. The analysis worker (`model-worker.ts`) decodes the photo once, at the scale `face-tiles.ts`
 * picks for it, and runs the detector there on the whole copy and,
 * on large photos, on the copy pixel for pixel (SSD: first at 12 px faces, then at 18 px around what
 * that proposes) or in overlapping tiles (Tiny), so a 50 px face in a 2400 px photo is seen at a size
 * the detector finds; the looks are merged into one box per face.
 *
 * SSD MobileNet v1 is the default: on the shipped evaluation set it found every labelled face,
 * including a small one in a wide composite that the Tiny detector misses; ~260 ms per look warm on
 * a quiet 2-core machine. The Tiny detector (about 4× less CPU, looser boxes, 2 faces missed) is the
 * `LOCAL_FACE_MODEL=tiny` choice (figures in `bench/README.md`).
 */
import type { BoundingBox, DetectSubjectsOptions, SubjectBox, SubjectDetector, SubjectsResult } from '../../ports/analyzer.js';
import { DEFAULTS } from '../../limits.js';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from '../../pipeline/sharp-factory.js';
import { packageVersion } from './model-runtime.js';
import { ModelWorker } from './model-worker.js';
import { FACE_MODEL_INPUT, type FaceModelName } from './face-model.js';
import { mergeDetections, type FaceSearchOptions } from './face-tiles.js';
import { recordAnalysis } from '../../observability/metrics.js';

export type { FaceModelName } from './face-model.js';

export interface FaceApiDetectorOptions {
  model?: FaceModelName;
  /** Detections scoring below this (0..1) are dropped. */
  minScore?: number;
  /** Longest side of the copy the detector sees when the photo needs no tiles. */
  maxSide?: number;
  /** The smallest face (px of the photo) to find: large photos are tiled for it. */
  minFaceSide?: number;
  /** At most this many tiles per photo besides the whole-image look (bounds the cost). */
  maxTiles?: number;
  /** SSD: the face size of the first, cheaper look whose detections are confirmed at full scale; 0: none (the whole copy at full scale). */
  proposalSide?: number;
  limits?: ImageLimits;
  /** The worker the model runs in (LocalAnalyzer shares one between its models); its own otherwise. */
  models?: ModelWorker;
}

export class FaceApiDetector implements SubjectDetector {
  readonly name: string;
  private readonly model: FaceModelName;
  private readonly minScore: number;
  private readonly maxSide: number;
  private readonly minFaceSide: number;
  private readonly maxTiles: number;
  private readonly proposalSide: number;
  private readonly limits: ImageLimits;
  private readonly models: ModelWorker;

  constructor(options: FaceApiDetectorOptions = {}) {
    this.model = options.model ?? 'ssd_mobilenetv1';
    this.minScore = options.minScore ?? DEFAULTS.faceMinScore;
    this.maxSide = options.maxSide ?? DEFAULTS.faceDetectionMaxSide;
    this.minFaceSide = options.minFaceSide ?? DEFAULTS.faceMinSide;
    this.maxTiles = options.maxTiles ?? DEFAULTS.faceDetectionMaxTiles;
    this.proposalSide = options.proposalSide ?? DEFAULTS.faceProposalSide;
    this.limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
    this.models = options.models ?? new ModelWorker();
    this.name = `face-api@${packageVersion('@vladmandic/face-api')}/${this.model}/search-${DEFAULTS.faceSearchRevision}`;
  }

  /** How this detector searches a photo (`planFaceSearch`): the worker plans each image's looks from it. */
  get searchOptions(): FaceSearchOptions {
    return {
      inputSide: FACE_MODEL_INPUT[this.model],
      detectableSide: DEFAULTS.faceDetectableSide,
      minFaceSide: this.minFaceSide,
      maxTiles: this.maxTiles,
      wholeMaxSide: this.maxSide,
      // SSD's anchors can be laid out for any input (`ssd-anchors.ts`); the Tiny detector is tiled.
      anySize: this.model === 'ssd_mobilenetv1',
      proposalSide: this.proposalSide,
      proposalScore: DEFAULTS.faceProposalScore,
    };
  }

  /** Loads the detector in the worker (once); the first detection does it otherwise. */
  load(): Promise<void> {
    return this.models.load({ faces: this.model });
  }

  async detectSubjects(image: Buffer, options: DetectSubjectsOptions = {}): Promise<SubjectsResult> {
    const started = performance.now();
    options.signal?.throwIfAborted();
    // The worker reads the header, plans the search and decodes the copy: this thread never touches the pixels.
    const found = await this.models.detectFacesInImage(this.model, image, this.searchOptions, this.minScore, this.limits);
    options.signal?.throwIfAborted();
    const { width: copyWidth, height: copyHeight } = found;
    const faces = mergeDetections(found.faces)
      .map(({ left, top, width, height, score }) =>
        clipToImage({ left: left / copyWidth, top: top / copyHeight, width: width / copyWidth, height: height / copyHeight }, score * 100),
      )
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

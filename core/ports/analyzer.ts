/**
 * Image analysis behind SIH's `smartCrop` and `contentModeration` edits and the workflow's
 * Moderate and SmartCrop tasks. Results use Rekognition's shapes and taxonomy so callers never
 * care which analyzer ran.
 *
 * Boxes are relative to the image as displayed, i.e. after its EXIF orientation is applied:
 * the pipeline crops the auto-oriented image, so every adapter must answer in that frame.
 */

/** A box as ratios of the image's width and height (0..1), like Rekognition's BoundingBox. */
export interface BoundingBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface SubjectBox extends BoundingBox {
  kind: 'face' | 'saliency';
  /** 0..100 */
  confidence: number;
}

export interface ModerationLabel {
  name: string;
  /** Top-level category in Rekognition's taxonomy; empty for a top-level label. */
  parentName: string;
  /** 0..100 */
  confidence: number;
  /** 1 for a top-level category, 2 and 3 below it (Rekognition's TaxonomyLevel). */
  taxonomyLevel?: number;
}

/** What kind of picture it is (Rekognition moderation 7.0's ContentTypes: `Illustrated`, `Animated`). */
export interface ContentType {
  name: string;
  /** 0..100 */
  confidence: number;
}

export interface AnalysisMeta {
  /** The analyzer that produced the result, with its model (e.g. `nsfwjs@4.4.0/MobileNetV2`). */
  analyzer: string;
  /** Time the analysis itself took, when it ran; the original time on a cache hit. */
  ms: number;
  /** True when the result came from the analysis cache rather than a fresh analysis. */
  cached?: boolean;
}

export interface ModerationResult extends AnalysisMeta {
  /** Labels at or above the requested `minConfidence`, parents included as Rekognition returns them. */
  labels: ModerationLabel[];
  contentTypes?: ContentType[];
}

export interface SubjectsResult extends AnalysisMeta {
  /** Faces, largest first. */
  faces: SubjectBox[];
  /** The most salient region, when the analyzer can tell. */
  subject?: SubjectBox;
}

/** Where the analysed bytes are stored, so an analyzer that can read storage itself (Rekognition from S3) need not upload them. */
export interface ObjectLocation {
  bucket: string;
  key: string;
}

export interface ModerateOptions {
  /** 0..100: labels below are left out (SIH's default is 75). */
  minConfidence: number;
  signal?: AbortSignal;
  source?: ObjectLocation;
}

export interface DetectSubjectsOptions {
  signal?: AbortSignal;
  source?: ObjectLocation;
}

/** The moderation half of an analyzer. */
export interface Moderator {
  moderate(image: Buffer, options: ModerateOptions): Promise<ModerationResult>;
}

/** The smart-crop half of an analyzer: faces and the most salient region. */
export interface SubjectDetector {
  detectSubjects(image: Buffer, options?: DetectSubjectsOptions): Promise<SubjectsResult>;
}

export interface Analyzer extends Moderator, SubjectDetector {
  /** Names the analyzer and its models; results cached under one name are never served for another. */
  readonly name: string;
  /**
   * Lets go of what it holds, at shutdown (the local models' worker thread: a job in flight would
   * otherwise keep the process alive until it ends). Optional: a remote analyzer holds nothing.
   */
  close?(): Promise<void>;
}

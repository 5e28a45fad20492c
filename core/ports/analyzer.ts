/**
 * Image analysis behind SIH's `smartCrop` and `contentModeration` edits and the workflow's
 * Moderate and SmartCrop tasks. Results use Rekognition's shapes and taxonomy so callers never
 * care which analyzer ran.
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
}

export interface AnalysisMeta {
  analyzer: string;
  ms: number;
}

export interface ModerationResult extends AnalysisMeta {
  labels: ModerationLabel[];
}

export interface SubjectsResult extends AnalysisMeta {
  /** Faces, largest first. */
  faces: SubjectBox[];
  /** The most salient region, when the analyzer can tell. */
  subject?: SubjectBox;
}

export interface Analyzer {
  readonly name: string;
  moderate(image: Buffer, options: { minConfidence: number; signal?: AbortSignal }): Promise<ModerationResult>;
  detectSubjects(image: Buffer, options?: { signal?: AbortSignal }): Promise<SubjectsResult>;
}

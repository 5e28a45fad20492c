/**
 * SmartCrop: finds the image's focal point, the centre of its largest face, else of its most
 * salient region, else of the image. `cover` renditions crop around it (see
 * `core/renditions.ts` `focusCrop`), so a thumbnail keeps the subject, not the middle.
 */
import type { z } from 'zod';
import { NotImplementedError } from '../core/errors.js';
import { WORKFLOW } from '../core/limits.js';
import { inspectImage, openImage } from '../core/pipeline/sharp-factory.js';
import type { BoundingBox } from '../core/ports/analyzer.js';
import type { FocalPoint } from '../core/renditions.js';
import { ImageSize, SourceObject, TaskIds } from './task-input.js';
import type { TaskDeps } from './task-deps.js';
import { withTaskMiddleware } from './with-task-middleware.js';

export const SmartCropInput = TaskIds.extend({ source: SourceObject, size: ImageSize });
export type SmartCropInput = z.infer<typeof SmartCropInput>;

export interface SmartCropOutput {
  /** Ratios of the oriented image's width and height, 0..1. */
  focus: FocalPoint;
  basis: 'face' | 'saliency' | 'centre';
  /** The box the focus is the centre of, when there is one. */
  box?: BoundingBox;
  faces: number;
  analyzer: string;
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;

/**
 * What the analyzer looks at: the upload itself when it is small and upright, else an oriented copy
 * whose long side is `WORKFLOW.smartCropMaxSide` (see there why), shrunk while decoding. Boxes
 * come back as ratios, so they apply to the upload as they are.
 */
export async function focusCopy(body: Buffer, limits: TaskDeps['limits'], maxSide: number = WORKFLOW.smartCropMaxSide): Promise<Buffer> {
  const info = await inspectImage(body, limits);
  if (Math.max(info.width, info.height) <= maxSide && info.orientation <= 1 && info.pages === 1) return body;
  const copy = openImage(body, limits).autoOrient().resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true });
  // PNG keeps a cut-out's transparency (flattened, its background would look like a subject to attention).
  return (info.hasAlpha ? copy.png({ compressionLevel: 1 }) : copy.jpeg({ quality: 90 })).toBuffer();
}

export async function run(input: SmartCropInput, deps: TaskDeps, { signal }: { signal: AbortSignal }): Promise<SmartCropOutput> {
  const { body } = await deps.storage.get(input.source.bucket, input.source.key, { maxBytes: deps.limits.maxSourceBytes, signal });
  let subjects;
  try {
    subjects = await deps.analyzer.detectSubjects(await focusCopy(body, deps.limits), { signal });
  } catch (error) {
    if (!(error instanceof NotImplementedError)) throw error;
    return { focus: { x: 0.5, y: 0.5 }, basis: 'centre', faces: 0, analyzer: deps.analyzer.name };
  }
  const face = subjects.faces[0];
  const chosen = face ?? subjects.subject;
  if (!chosen) return { focus: { x: 0.5, y: 0.5 }, basis: 'centre', faces: 0, analyzer: subjects.analyzer };
  const box = { left: round(chosen.left), top: round(chosen.top), width: round(chosen.width), height: round(chosen.height) };
  return {
    focus: { x: round(chosen.left + chosen.width / 2), y: round(chosen.top + chosen.height / 2) },
    basis: face ? 'face' : 'saliency',
    box,
    faces: subjects.faces.length,
    analyzer: subjects.analyzer,
  };
}

export const handler = withTaskMiddleware(run, { task: 'smart-crop', input: SmartCropInput });

/**
 * SmartCrop looks at an oriented copy of at most WORKFLOW.smartCropMaxSide px (the analysis then
 * costs the same for any upload size), and the focal point it returns applies to the upload.
 */
import sharp from 'sharp';
import { DEFAULT_IMAGE_LIMITS } from '../../core/pipeline/sharp-factory.js';
import { LIMITS, WORKFLOW } from '../../core/limits.js';
import type { Analyzer, SubjectsResult } from '../../core/ports/analyzer.js';
import { focusCopy, run } from '../../tasks/smart-crop.js';
import type { TaskDeps } from '../../tasks/task-deps.js';
import { imageInfo, makeImage } from '../helpers/images.js';

const limits = { ...DEFAULT_IMAGE_LIMITS, maxOutputDimension: LIMITS.maxOutputDimension, maxOutputPixels: LIMITS.maxOutputPixels, maxSourceBytes: LIMITS.maxSourceBytes };

/** Finds a "face" at a fixed place, in ratios of what it is shown, and records what that was. */
class SeeingAnalyzer implements Partial<Analyzer> {
  readonly name = 'seeing-test-analyzer';
  seen: Array<{ format: string; width: number; height: number }> = [];
  async detectSubjects(image: Buffer): Promise<SubjectsResult> {
    const info = await imageInfo(image);
    this.seen.push({ format: info.format, width: info.width, height: info.height });
    // A box in ratios of what was seen.
    return { analyzer: this.name, ms: 0, faces: [{ left: 0.6, top: 0.4, width: 0.2, height: 0.2, kind: 'face', confidence: 99 }] };
  }
}

async function smartCrop(upload: Buffer, size: { width: number; height: number }) {
  const analyzer = new SeeingAnalyzer();
  const deps = {
    storage: { get: async () => ({ body: upload }) },
    analyzer,
    limits,
  } as unknown as TaskDeps;
  const output = await run({ executionId: 'e', imageId: 'i', source: { bucket: 'uploads', key: 'a.jpg' }, size }, deps, { signal: new AbortController().signal });
  return { output, seen: analyzer.seen };
}

test('a large upload is analysed as a copy of at most smartCropMaxSide px; the focus is in ratios of the upload', async () => {
  const upload = await makeImage(3000, 2000, 'jpeg');
  const { output, seen } = await smartCrop(upload, { width: 3000, height: 2000 });
  expect(seen).toEqual([{ format: 'jpeg', width: WORKFLOW.smartCropMaxSide, height: Math.round((WORKFLOW.smartCropMaxSide * 2) / 3) }]);
  expect(output).toMatchObject({ basis: 'face', focus: { x: 0.7, y: 0.5 } });
});

test('a small upright upload is analysed as it is', async () => {
  const upload = await makeImage(640, 480, 'jpeg');
  const { seen } = await smartCrop(upload, { width: 640, height: 480 });
  expect(seen).toEqual([{ format: 'jpeg', width: 640, height: 480 }]);
  expect(await focusCopy(upload, limits)).toBe(upload);
});

test('a sideways upload (EXIF orientation 6) is analysed upright, so ratios match the oriented size', async () => {
  const sideways = await sharp(await makeImage(400, 300, 'jpeg')).withMetadata({ orientation: 6 }).jpeg().toBuffer();
  const { seen } = await smartCrop(sideways, { width: 300, height: 400 });
  expect(seen).toEqual([{ format: 'jpeg', width: 300, height: 400 }]);
});

test('a cut-out keeps its transparency in the copy', async () => {
  const cutout = await sharp(await makeImage(2400, 1200, 'png')).ensureAlpha(0.5).png().toBuffer();
  const copy = await focusCopy(cutout, limits);
  expect(await imageInfo(copy)).toMatchObject({ format: 'png', width: WORKFLOW.smartCropMaxSide, height: WORKFLOW.smartCropMaxSide / 2 });
  expect((await sharp(copy).metadata()).hasAlpha).toBe(true);
});

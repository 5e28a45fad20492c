/**
 * Running the real pipeline in tests: a validated ImageRequest for some edits, and render deps
 * around a given analyzer (storage is never touched unless a test overlays an image).
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FsStorage } from '../../core/adapters/local/fs-storage.js';
import type { Edits } from '../../core/edits.js';
import { parseImageRequest, type ImageRequest } from '../../core/image-request.js';
import { LIMITS } from '../../core/limits.js';
import type { RenderDeps } from '../../core/pipeline/render-context.js';
import { DEFAULT_IMAGE_LIMITS } from '../../core/pipeline/sharp-factory.js';
import type { Analyzer } from '../../core/ports/analyzer.js';

export function imageRequest(edits: Edits, output: ImageRequest['output'] = { format: 'png' }): ImageRequest {
  return parseImageRequest({ source: { bucket: 'images', key: 'photo.jpg' }, edits, output });
}

export function renderDeps(analyzer: Analyzer): RenderDeps {
  return {
    storage: new FsStorage(path.join(tmpdir(), 'shutter-test-buckets')),
    analyzer,
    limits: {
      ...DEFAULT_IMAGE_LIMITS,
      maxOutputDimension: LIMITS.maxOutputDimension,
      maxOutputPixels: LIMITS.maxOutputPixels,
      maxSourceBytes: LIMITS.maxSourceBytes,
    },
    allowedBuckets: ['images'],
  };
}

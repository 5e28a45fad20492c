/**
 * Content moderation on the CPU with nsfwjs, whose weights ship inside its npm package (no download,
 * ever). The analysis worker (`model-worker.ts`) decodes the image to one square copy of the model's
 * input side and runs the model there, loaded on first use and kept;
 * nsfwjs' classes are mapped to Rekognition's taxonomy (see `nsfw-taxonomy.ts`).
 *
 * MobileNetV2 is the default: 3.5 MB of weights, ~60 ms per image warm on a quiet 2-core machine, and
 * no false positive on the shipped evaluation set's safe images. InceptionV3 (29 MB, ~7× the CPU) is
 * available for comparison (`bench/`); the "Mid" MobileNet graph model called ordinary photos drawings.
 */
import type { ModerateOptions, ModerationResult, Moderator } from '../../ports/analyzer.js';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from '../../pipeline/sharp-factory.js';
import { toModerationLabels } from './nsfw-taxonomy.js';
import { packageVersion } from './model-runtime.js';
import { ModelWorker } from './model-worker.js';
import { NSFW_MODELS, type NsfwModelName } from './nsfw-model.js';
import { recordAnalysis } from '../../observability/metrics.js';

export type { NsfwModelName } from './nsfw-model.js';

export interface NsfwjsModeratorOptions {
  model?: NsfwModelName;
  limits?: ImageLimits;
  /** The worker the model runs in (LocalAnalyzer shares one between its models); its own otherwise. */
  models?: ModelWorker;
}

export class NsfwjsModerator implements Moderator {
  readonly name: string;
  private readonly model: NsfwModelName;
  private readonly limits: ImageLimits;
  private readonly models: ModelWorker;

  constructor(options: NsfwjsModeratorOptions = {}) {
    this.model = options.model ?? 'MobileNetV2';
    this.limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
    this.models = options.models ?? new ModelWorker();
    this.name = `nsfwjs@${packageVersion('nsfwjs')}/${this.model}`;
  }

  /** Loads the model in the worker (once); the first `moderate` does it otherwise. */
  load(): Promise<void> {
    return this.models.load({ nsfw: this.model });
  }

  async moderate(image: Buffer, options: ModerateOptions): Promise<ModerationResult> {
    const started = performance.now();
    options.signal?.throwIfAborted();
    // Decoded to the model's square in the worker: this thread never touches the pixels.
    const scores = await this.models.classifyNsfwImage(this.model, image, NSFW_MODELS[this.model].size, this.limits);
    options.signal?.throwIfAborted();
    const ms = performance.now() - started;
    recordAnalysis(this.name, 'moderation', ms);
    return { analyzer: this.name, ms, ...toModerationLabels(scores, options.minConfidence) };
  }
}

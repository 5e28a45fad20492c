/**
 * Content moderation on the CPU with nsfwjs, whose weights ship inside its npm package (no download,
 * ever). The model is loaded on first use and kept; each call classifies one 224 px square copy of
 * the image and maps nsfwjs' classes to Rekognition's taxonomy (see `nsfw-taxonomy.ts`).
 *
 * MobileNetV2 is the default: 3.5 MB of weights, ~60 ms per image warm on a quiet 2-core machine, and
 * no false positive on the shipped evaluation set's safe images. InceptionV3 (29 MB, ~7× the CPU) is
 * available for comparison (`bench/`); the "Mid" MobileNet graph model called ordinary photos drawings.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { io } from '@tensorflow/tfjs';
import type * as NsfwjsCore from 'nsfwjs/core';
import type { NSFWJS } from 'nsfwjs/core';
import type { ModerateOptions, ModerationResult, Moderator } from '../../ports/analyzer.js';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from '../../pipeline/sharp-factory.js';
import { toModelInput } from './model-input.js';
import { NSFW_CLASSES, toModerationLabels, type NsfwScores } from './nsfw-taxonomy.js';
import { loadTfjs, packageVersion, requireModule, type Tfjs } from './model-runtime.js';
import { recordAnalysis } from '../../observability/metrics.js';

export type NsfwModelName = 'MobileNetV2' | 'InceptionV3';

/** Where each model's files sit in the nsfwjs package, how many weight shards it has, its input side. */
const MODELS: Record<NsfwModelName, { folder: string; shards: number; size: number }> = {
  MobileNetV2: { folder: 'mobilenet_v2', shards: 1, size: 224 },
  InceptionV3: { folder: 'inception_v3', shards: 6, size: 299 },
};

export interface NsfwjsModeratorOptions {
  model?: NsfwModelName;
  limits?: ImageLimits;
}

export class NsfwjsModerator implements Moderator {
  readonly name: string;
  private readonly model: NsfwModelName;
  private readonly limits: ImageLimits;
  private loaded: Promise<{ tf: Tfjs; nsfw: NSFWJS }> | undefined;

  constructor(options: NsfwjsModeratorOptions = {}) {
    this.model = options.model ?? 'MobileNetV2';
    this.limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
    this.name = `nsfwjs@${packageVersion('nsfwjs')}/${this.model}`;
  }

  /** Loads the model (once); called by the first `moderate`, or ahead of time to take the cost at start. */
  load(): Promise<{ tf: Tfjs; nsfw: NSFWJS }> {
    this.loaded ??= loadNsfwModel(this.model).catch((error: unknown) => {
      this.loaded = undefined;
      throw error;
    });
    return this.loaded;
  }

  async moderate(image: Buffer, options: ModerateOptions): Promise<ModerationResult> {
    const started = performance.now();
    const size = MODELS[this.model].size;
    const [{ tf, nsfw }, pixels] = await Promise.all([this.load(), toModelInput(image, { square: size }, this.limits)]);
    options.signal?.throwIfAborted();
    const input = tf.tensor3d(pixels.data, [pixels.height, pixels.width, 3], 'int32');
    let predictions: Awaited<ReturnType<NSFWJS['classify']>>;
    try {
      predictions = await nsfw.classify(input, NSFW_CLASSES.length);
    } finally {
      input.dispose();
    }
    const scores = Object.fromEntries(NSFW_CLASSES.map((name) => [name, 0])) as NsfwScores;
    for (const { className, probability } of predictions) scores[className as keyof NsfwScores] = probability;
    const ms = performance.now() - started;
    recordAnalysis(this.name, 'moderation', ms);
    return { analyzer: this.name, ms, ...toModerationLabels(scores, options.minConfidence) };
  }
}

/**
 * Builds the model from the files bundled in nsfwjs (`dist/models/<model>/`: the model JSON and base64
 * weight shards, each wrapped in a small UMD .js file) through our own IOHandler rather than nsfwjs'
 * `load()`, which logs a banner on every load and decodes base64 one character at a time.
 */
async function loadNsfwModel(model: NsfwModelName): Promise<{ tf: Tfjs; nsfw: NSFWJS }> {
  const tf = await loadTfjs();
  const { NSFWJS: Model } = requireModule('nsfwjs/core') as typeof NsfwjsCore;
  const spec = MODELS[model];
  // dist/cjs/core.js → the package root.
  const folder = path.join(path.dirname(requireModule.resolve('nsfwjs/core')), '..', 'models', spec.folder);
  const json = await readUmdValue<io.ModelJSON>(path.join(folder, 'model.min.js'));
  const shards = [];
  for (let shard = 1; shard <= spec.shards; shard++) {
    shards.push(Buffer.from(await readUmdValue<string>(path.join(folder, `group1-shard${shard}of${spec.shards}.min.js`)), 'base64'));
  }
  const weights = Buffer.concat(shards);
  const handler: io.IOHandler = {
    load: async () => ({
      modelTopology: json.modelTopology,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      // A fresh ArrayBuffer holding exactly the weights (Buffer.concat may hand out a slice of a pool).
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  };
  const nsfw = new Model(handler, { size: spec.size });
  await nsfw.load();
  return { tf, nsfw };
}

/**
 * The value a UMD data file exports (`module.exports = …`), read without `require`: these files are
 * data, megabytes of base64 on one line, and `require` would keep them in its cache for the life of
 * the process (and jest's module loader takes tens of seconds on each).
 */
async function readUmdValue<T>(file: string): Promise<T> {
  const code = await readFile(file, 'utf8');
  const module = { exports: {} as unknown };
  // The Function constructor of this realm, so the JSON's arrays pass tfjs' `instanceof Array` checks.
  const factory = new Function('module', 'exports', `${code}\n//# sourceURL=${file}`) as (m: typeof module, e: unknown) => void;
  factory(module, module.exports);
  return module.exports as T;
}

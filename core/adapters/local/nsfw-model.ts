/**
 * nsfwjs' classifier, run where the models live (the analysis worker): built from the files bundled in
 * the nsfwjs package (no download, ever) and asked for its five class probabilities on pixels that the
 * main thread has already decoded and squashed to the model's input square.
 *
 * This module must stay free of sharp, metrics and TypeScript-only syntax: it runs inside the worker,
 * straight from the sources under jest (Node strips the types), and from its own bundle entry otherwise.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { io } from '@tensorflow/tfjs';
import type * as NsfwjsCore from 'nsfwjs/core';
import type { NSFWJS } from 'nsfwjs/core';
import { NSFW_CLASSES, type NsfwScores } from './nsfw-taxonomy.js';
import { loadTfjs, requireModule, type Tfjs } from './model-runtime.js';
import type { RgbPixels } from './model-input.js';

export type NsfwModelName = 'MobileNetV2' | 'InceptionV3';

/** Where each model's files sit in the nsfwjs package, how many weight shards it has, its input side. */
export const NSFW_MODELS: Record<NsfwModelName, { folder: string; shards: number; size: number }> = {
  MobileNetV2: { folder: 'mobilenet_v2', shards: 1, size: 224 },
  InceptionV3: { folder: 'inception_v3', shards: 6, size: 299 },
};

export interface NsfwModel {
  tf: Tfjs;
  nsfw: NSFWJS;
}

/** The five class probabilities (0..1) of one image, already at the model's input size. */
export async function classifyNsfw({ tf, nsfw }: NsfwModel, pixels: RgbPixels): Promise<NsfwScores> {
  const input = tf.tensor3d(pixels.data, [pixels.height, pixels.width, 3], 'int32');
  let predictions: Awaited<ReturnType<NSFWJS['classify']>>;
  try {
    predictions = await nsfw.classify(input, NSFW_CLASSES.length);
  } finally {
    input.dispose();
  }
  const scores = Object.fromEntries(NSFW_CLASSES.map((name) => [name, 0])) as NsfwScores;
  for (const { className, probability } of predictions) scores[className as keyof NsfwScores] = probability;
  return scores;
}

/**
 * Builds the model from the files bundled in nsfwjs (`dist/models/<model>/`: the model JSON and base64
 * weight shards, each wrapped in a small UMD .js file) through our own IOHandler rather than nsfwjs'
 * `load()`, which logs a banner on every load and decodes base64 one character at a time.
 */
export async function loadNsfwModel(model: NsfwModelName): Promise<NsfwModel> {
  const tf = await loadTfjs();
  const { NSFWJS: Model } = requireModule('nsfwjs/core') as typeof NsfwjsCore;
  const spec = NSFW_MODELS[model];
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
 * the process.
 */
async function readUmdValue<T>(file: string): Promise<T> {
  const code = await readFile(file, 'utf8');
  const module = { exports: {} as unknown };
  // The Function constructor of this realm, so the JSON's arrays pass tfjs' `instanceof Array` checks.
  const factory = new Function('module', 'exports', `${code}\n//# sourceURL=${file}`) as (m: typeof module, e: unknown) => void;
  factory(module, module.exports);
  return module.exports as T;
}

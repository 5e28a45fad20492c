import type { OutputInfo, Sharp } from 'sharp';
import type { ImageRequest } from '../image-request.js';
import type { Analyzer } from '../ports/analyzer.js';
import type { Storage } from '../ports/storage.js';
import type { Size } from './plan-geometry.js';
import { openTrusted, type ImageLimits, type SourceInfo } from './sharp-factory.js';
import type { ImageInput } from './source-file.js';

/** What the pipeline needs from the outside world; injected by the composition root. */
export interface RenderDeps {
  storage: Storage;
  analyzer: Analyzer;
  limits: ImageLimits & { maxOutputDimension: number; maxOutputPixels: number; maxSourceBytes: number };
  /** Buckets an overlay may be read from (SIH: SOURCE_BUCKETS). */
  allowedBuckets: readonly string[];
}

/** The state one render carries from step to step. */
export interface RenderContext {
  request: ImageRequest;
  source: SourceInfo;
  /** The original (bytes or open file: `bytesOf` reads it), for analyzers that look at the image as uploaded. */
  input: ImageInput;
  image: Sharp;
  /** The size of the image the chain currently produces, when known without rendering. */
  size: Size;
  /**
   * False once an edit's geometry is only estimated (trim, a non-right angle, a rotation after a
   * resize that crops): bounds checks then leave the verdict to libvips.
   */
  sizeExact: boolean;
  /** True once the chain holds a resize (sharp applies a later rotation or extract after it). */
  resized: boolean;
  /** True once an edit moved pixels (crop, resize, rotate...): analysis must look at the chain, not the upload. */
  reshaped: boolean;
  animated: boolean;
  deps: RenderDeps;
  signal?: AbortSignal;
  /** Facts the steps learned (moderation labels, subject box), returned with the result. */
  notes: Record<string, unknown>;
}

/** One edit's work: configures `ctx.image` (or renders what came before, when it must see pixels). */
export interface Step<T = unknown> {
  readonly name: string;
  run(ctx: RenderContext, value: T): Promise<void> | void;
}

/**
 * Renders what the chain holds so far into raw pixels and starts a new chain from them: for the
 * steps that must see real dimensions (round crop, overlay, smart crop). Raw keeps it lossless.
 */
export async function materialize(ctx: RenderContext): Promise<{ data: Buffer; info: OutputInfo }> {
  const { data, info } = await ctx.image.raw().toBuffer({ resolveWithObject: true });
  ctx.image = openTrusted(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  ctx.size = { width: info.width, height: info.height };
  ctx.sizeExact = true;
  ctx.resized = false;
  return { data, info };
}

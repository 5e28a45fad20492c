/**
 * The transformation, in one place: plan, then render.
 *
 * 1. inspect the source (header only: limits, frames, orientation);
 * 2. open it (all frames when the answer stays animated) and honour its EXIF orientation;
 * 3. apply the request's edits **in the order it lists them**, each by its named step, as SIH
 *    hands them to sharp one by one (sharp orders rotate, extract and resize by call order, so
 *    `{"rotate":90,"resize":{"width":100}}` resizes the rotated image and `{"extract":…,"resize":…}`
 *    extracts first);
 * 4. encode once.
 *
 * Steps only configure the sharp chain (or, where a step must see real pixels, render what came
 * before); `planEdits` is pure, so the order is testable without an image.
 */
import type { Edits, OutputFormat, Resize, SharpOperation } from '../edits.js';
import { SHARP_OPERATIONS } from '../edits.js';
import { RequestError, ShutterError } from '../errors.js';
import type { ImageRequest } from '../image-request.js';
import { ANIMATED_FORMATS, applyEncoder, outputFormatOf } from './encode.js';
import { materialize, type RenderContext, type RenderDeps, type Step } from './render-context.js';
import { blameSource, inspectImage, mapSharpError, openImage, openTrusted, type SourceInfo } from './sharp-factory.js';
import type { ImageInput } from './source-file.js';
import { crop, cropOutOfBounds } from './steps/crop.js';
import { moderate } from './steps/moderate.js';
import { operation, RESHAPING, type OperationEdit } from './steps/operation.js';
import { overlay } from './steps/overlay.js';
import { resize, type TurnedResize } from './steps/resize.js';
import { roundCrop } from './steps/round-crop.js';
import { smartCrop } from './steps/smart-crop.js';

/** The step for each of SIH's own edits; sharp's `extract` is the same step as SIH's `crop`. */
const EDIT_STEPS: Readonly<Record<string, Step<never>>> = {
  contentModeration: moderate,
  smartCrop,
  crop,
  extract: crop,
  resize,
  roundCrop,
  overlayWith: overlay,
};

export interface PlannedEdit {
  step: Step<never>;
  value: unknown;
}

/**
 * The edits as steps, in the request's order (the model keeps it: see `parseImageRequest`).
 * `animated` is no step (it chose how the source was opened); every allow-listed sharp operation
 * goes through `operation`.
 */
export function planEdits(edits: Edits, options: { animated?: boolean } = {}): PlannedEdit[] {
  const plan: PlannedEdit[] = [];
  for (const [name, value] of Object.entries(edits)) {
    if (value === undefined || name === 'animated') continue;
    const step = EDIT_STEPS[name];
    if (step) plan.push({ step, value });
    else if (name in SHARP_OPERATIONS) plan.push({ step: operation as Step<never>, value: { name: name as SharpOperation, value } });
  }
  return outputColourspaceLast(options.animated ? plan : resizeBeforeRightAngle(plan));
}

/**
 * sharp converts to the output colourspace (`toColourspace`) as the chain's last act, wherever the
 * call stands; so does this plan. Left in place, a step that hands raw pixels on (roundCrop, an
 * overlay) read CMYK's four bands as RGB and alpha: a 200 in the wrong colours (found by the fuzzer).
 */
function outputColourspaceLast(plan: PlannedEdit[]): PlannedEdit[] {
  const isOutputColourspace = ({ step, value }: PlannedEdit) => step === operation && /^toColou?rspace$/.test((value as { name: string }).name);
  return [...plan.filter((edit) => !isOutputColourspace(edit)), ...plan.filter(isOutputColourspace)];
}

/**
 * sharp cannot shrink a JPEG or WebP while decoding it (the speed of a resize) once a rotation
 * must happen first. A right-angle rotation followed by a resize to one side is the same image as
 * that resize to the other side followed by the rotation, which keeps shrink-on-load; anything
 * else that moves pixels before the resize keeps the order as written.
 */
export function resizeBeforeRightAngle(plan: PlannedEdit[]): PlannedEdit[] {
  const at = plan.findIndex(({ step }) => step === resize);
  if (at < 0) return plan;
  const before = plan.slice(0, at);
  const rotations = before.filter(isRotation);
  const rotation = rotations[0];
  if (rotations.length !== 1 || !rotation || before.some((edit) => edit !== rotation && reshapes(edit))) return plan;
  // sharp trims before resizing wherever trim is listed, by the colour of the corner pixel: a
  // corner that depends on whether the rotation came first.
  if (plan.some((edit) => edit.step === operation && (edit.value as OperationEdit).name === 'trim')) return plan;
  const angle = (((rotation.value as OperationEdit).value as number) % 360 + 360) % 360;
  const { width, height, ratio } = plan[at]!.value as Resize;
  if (angle % 90 !== 0 || angle === 0 || ratio !== undefined || !!width === !!height) return plan;
  const turned: TurnedResize = { ...(plan[at]!.value as Resize), turned: angle };
  const reordered = plan.filter((edit) => edit !== rotation);
  reordered.splice(reordered.indexOf(plan[at]!), 1, { step: resize as Step<never>, value: turned }, rotation);
  return reordered;
}

const isRotation = (edit: PlannedEdit) => edit.step === operation && (edit.value as OperationEdit).name === 'rotate' && typeof (edit.value as OperationEdit).value === 'number';
/** An edit before the resize that moves pixels (not colour work, which sharp orders by itself). */
const reshapes = (edit: PlannedEdit) =>
  edit.step !== operation && edit.step !== moderate ? true : edit.step === operation && RESHAPING.has((edit.value as OperationEdit).name);

export interface RenderedImage {
  data: Buffer;
  format: OutputFormat;
  width: number;
  height: number;
  animated: boolean;
  /** What analysis steps found (moderation labels, subject boxes), for logs and events. */
  notes: Record<string, unknown>;
}

/** The format a request will produce for a source: the request's own, else the source's. */
export function resolveFormat(request: ImageRequest, source: Pick<SourceInfo, 'format'>): OutputFormat {
  return request.output.format ?? outputFormatOf(source.format);
}

/** True when a request changes nothing, so the stored bytes can be answered as they are (SIH). */
export function isPassThrough(request: ImageRequest): boolean {
  const { format, quality, dpr, keepMetadata } = request.output;
  return Object.keys(request.edits).length === 0 && !format && !quality && !dpr && !keepMetadata;
}

export async function renderImage(
  input: ImageInput,
  request: ImageRequest,
  deps: RenderDeps,
  options: { signal?: AbortSignal; source?: SourceInfo } = {},
): Promise<RenderedImage> {
  const source = options.source ?? (await inspectImage(input, deps.limits));
  const format = resolveFormat(request, source);
  const animated = source.pages > 1 && request.edits.animated !== false && ANIMATED_FORMATS.has(format);
  try {
    const ctx = await runSteps(input, request, deps, source, animated, options.signal);
    return await encode(ctx, format, request.output);
  } catch (error) {
    throw await renderFailure(error, input, deps);
  }
}

/**
 * One request in several formats from one decode: the edits run once into raw pixels, and each
 * format is encoded from them. The workflow renders every preset in AVIF, WebP and JPEG; decoding
 * and resizing the source is a large part of each render (all of a PNG's, which cannot shrink on
 * load), so three chains would do it three times. A format whose answer stays animated, PNG
 * (which may keep 16 bits a shared 8-bit copy would drop) and a request keeping metadata (raw
 * pixels carry none) get their own chain. Results are in the order of `formats`.
 */
export async function renderImageFormats(
  input: ImageInput,
  request: ImageRequest,
  formats: readonly OutputFormat[],
  deps: RenderDeps,
  options: { signal?: AbortSignal; source?: SourceInfo } = {},
): Promise<RenderedImage[]> {
  const source = options.source ?? (await inspectImage(input, deps.limits));
  const ownChain = (format: OutputFormat) =>
    format === 'png' || !!request.output.keepMetadata || (source.pages > 1 && request.edits.animated !== false && ANIMATED_FORMATS.has(format));
  const shared = formats.filter((format) => !ownChain(format));
  const results = new Map<OutputFormat, RenderedImage>();
  if (shared.length > 1) {
    try {
      const ctx = await runSteps(input, request, deps, source, false, options.signal);
      const { data, info } = await materialize(ctx);
      const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
      for (const format of shared) {
        options.signal?.throwIfAborted();
        results.set(format, await encode({ ...ctx, image: openTrusted(data, raw) }, format, request.output));
      }
    } catch (error) {
      throw await renderFailure(error, input, deps);
    }
  }
  for (const format of formats) {
    if (!results.has(format)) results.set(format, await renderImage(input, { ...request, output: { ...request.output, format } }, deps, { ...options, source }));
  }
  return formats.map((format) => results.get(format)!);
}

/** Steps 2 and 3: the source opened and oriented, every edit applied to the chain; nothing encoded yet. */
async function runSteps(input: ImageInput, request: ImageRequest, deps: RenderDeps, source: SourceInfo, animated: boolean, signal?: AbortSignal): Promise<RenderContext> {
  const image = openImage(input, deps.limits, { animated });
  // EXIF orientation is honoured unless the request asks to keep it (SIH: `rotate: null`).
  if (request.edits.rotate !== null) image.autoOrient();
  const ctx: RenderContext = {
    request,
    source,
    input,
    image,
    size: { width: source.width, height: source.height },
    sizeExact: true,
    resized: false,
    reshaped: false,
    animated,
    deps,
    notes: {},
    ...(signal ? { signal } : {}),
  };
  for (const { step, value } of planEdits(request.edits, { animated })) {
    signal?.throwIfAborted();
    await (step as Step<unknown>).run(ctx, value);
  }
  return ctx;
}

/** Step 4: encode once. */
async function encode(ctx: RenderContext, format: OutputFormat, output: ImageRequest['output']): Promise<RenderedImage> {
  const { data, info } = await applyEncoder(ctx.image, format, output).toBuffer({ resolveWithObject: true });
  return {
    data,
    format,
    width: info.width,
    height: ctx.animated && info.pageHeight ? info.pageHeight : info.height,
    animated: ctx.animated,
    notes: ctx.notes,
  };
}

async function renderFailure(error: unknown, input: ImageInput, deps: RenderDeps): Promise<unknown> {
  const mapped = mapRenderError(error);
  return mapped instanceof ShutterError ? mapped : blameSource(mapped, input, deps.limits);
}

/**
 * libvips refusing an edit that is valid on its own but not for this image (too few channels, a
 * colourspace with no route, a CLAHE or median window larger than the image, a trim of a source
 * under 3×3, more bands than the raw pixels handed between steps hold (CMYK with alpha before a
 * roundCrop did, until the output colourspace became the plan's last step)...). Found by the
 * hostile-input fuzzer; each is the client's 400, not our 500.
 */
const EDIT_MISMATCH =
  /^(Cannot extract channel|Band expansion using linear is unsupported|vips_colourspace: no known route|hist_local: |rank: window too large|Image to trim must be at least|Expected width, height and channels for raw pixel input|linear: vector must have|recomb: bands in must equal|vips__transform_calc_inverse: singular|image: bad dimensions)/;

function mapRenderError(error: unknown): unknown {
  if (error instanceof ShutterError) return error;
  const message = error instanceof Error ? error.message : '';
  if (/composite must have same dimensions or smaller/.test(message)) {
    return new RequestError('BadRequest', 'Image to overlay must have same dimensions or smaller', 400, { cause: error });
  }
  if (/extract_area|bad extract area/i.test(message)) return cropOutOfBounds({ cause: error });
  if (EDIT_MISMATCH.test(message)) {
    return new RequestError('ImageEdits::InvalidEdit', `The edits cannot be applied to this image: ${message.trim()}.`, 400, { cause: error });
  }
  // sharp validates its arguments and throws "Expected … for … but received …" or "Unable to parse
  // color": every argument comes from the request, so this is the client's invalid edit.
  if (/^Expected .+ for .+ but received|Unable to parse colou?r/.test(message)) {
    return new RequestError('ImageEdits::InvalidEdit', `The image request is invalid: ${message}.`, 400, { cause: error });
  }
  return mapSharpError(error);
}

/**
 * Rendition sets: the sizes × formats the bulk workflow renders for every upload. A set is a
 * list of presets (name, width/height, fit, formats, quality), validated once at start. Each
 * rendition is an ordinary {@link ImageRequest}, so the workflow renders with the same pipeline
 * as the on-demand API. Output keys are deterministic: `<source key>/<preset>.<ext>`, the
 * manifest `<source key>/manifest.json`, so a re-run overwrites rather than duplicates.
 */
import { readFileSync } from 'node:fs';
import * as z from './zod.js';
import { ConfigError } from './errors.js';
import type { ImageRequest, SourceRef } from './image-request.js';
import { LIMITS } from './limits.js';
import type { Size } from './pipeline/plan-geometry.js';
import { RENDITION_FORMATS, type RenditionFormat } from './rendition.js';

// The formats are defined with the rendition itself; presets import them from here as before.
export { RENDITION_FORMATS, type RenditionFormat };

// The schemas are built on first use (`z.lazy`): a RENDITIONS_FILE and the workflow's tasks parse
// with them; the image Lambda's cold start does not (bench/README.md, "Session 6: image Lambda cold start").
const dimension = z.number().check(z.int(), z.gte(1), z.lte(LIMITS.maxOutputDimension));
const name = z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, "-" or "_", at most 64'));

export const RenditionPreset = z.lazy(() =>
  z.strictObject({
    name,
    width: z.optional(dimension),
    height: z.optional(dimension),
    /** `cover` crops around the image's focal point (SmartCrop); the others keep the whole image. */
    fit: z._default(z.enum(['cover', 'contain', 'fill', 'inside', 'outside']), 'inside'),
    formats: z._default(z.array(z.enum(RENDITION_FORMATS)).check(z.minLength(1), z.maxLength(RENDITION_FORMATS.length)), ['avif', 'webp', 'jpeg']),
    /** One quality for every format, or one per format; the pipeline's per-format defaults otherwise. */
    quality: z.optional(z.union([z.number().check(z.int(), z.gte(1), z.lte(100)), z.partialRecord(z.enum(RENDITION_FORMATS), z.number().check(z.int(), z.gte(1), z.lte(100)))])),
    /** Never upscale a small source (default): a blurry large rendition is worse than a smaller sharp one. */
    withoutEnlargement: z._default(z.boolean(), true),
  }).check(
    z.refine((preset) => preset.width !== undefined || preset.height !== undefined, 'a preset needs a width, a height or both'),
    z.refine((preset) => new Set(preset.formats).size === preset.formats.length, 'formats must not repeat'),
  ),
);
export type RenditionPreset = z.infer<typeof RenditionPreset>;

/** One set: its presets' names must differ (they name the output keys). */
const RenditionSet = z.lazy(() =>
  z.array(RenditionPreset).check(
    z.minLength(1),
    z.maxLength(32),
    z.superRefine((presets, ctx) => {
      const seen = new Set<string>();
      presets.forEach((preset, index) => {
        if (seen.has(preset.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `"${preset.name}" appears twice in the set` });
        seen.add(preset.name);
      });
    }),
  ),
);

export const RenditionSets = z.lazy(() => z.record(name, RenditionSet));
export type RenditionSets = z.infer<typeof RenditionSets>;

const ALL_FORMATS: RenditionFormat[] = ['avif', 'webp', 'jpeg'];

/** The built-in `default` set: the common slots of a web page, each in AVIF, WebP and JPEG. */
export const DEFAULT_RENDITION_SETS: RenditionSets = {
  default: [
    { name: 'thumbnail', width: 150, height: 150, fit: 'cover', formats: ALL_FORMATS, withoutEnlargement: true },
    { name: 'small', width: 320, fit: 'inside', formats: ALL_FORMATS, withoutEnlargement: true },
    { name: 'medium', width: 800, fit: 'inside', formats: ALL_FORMATS, withoutEnlargement: true },
    { name: 'large', width: 1600, fit: 'inside', formats: ALL_FORMATS, withoutEnlargement: true },
  ],
};

/** Validates rendition sets from any source; every problem is reported at once. */
export function parseRenditionSets(value: unknown, origin = 'rendition sets'): RenditionSets {
  const result = RenditionSets.safeParse(value);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${origin}: ${issue.path.join('.') || '(root)'}: ${issue.message}`));
  }
  return result.data;
}

/**
 * The built-in sets, extended or overridden by a JSON file (`RENDITIONS_FILE`) of the shape
 * `{ "<set>": [ { "name", "width", "height", "fit", "formats", "quality" }, ... ] }`.
 */
export function loadRenditionSets(file: string | undefined): Readonly<RenditionSets> {
  if (!file) return DEFAULT_RENDITION_SETS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError([`RENDITIONS_FILE: ${file} could not be read as JSON (${(error as Error).message})`]);
  }
  return Object.freeze({ ...DEFAULT_RENDITION_SETS, ...parseRenditionSets(parsed, `RENDITIONS_FILE ${file}`) });
}

/** The file extension a format is stored under. */
export function extensionOf(format: RenditionFormat): string {
  return format === 'jpeg' ? 'jpg' : format;
}

/** Where a rendition of a source is written, in the renditions bucket. */
export function renditionKey(sourceKey: string, preset: string, format: RenditionFormat): string {
  return `${sourceKey}/${preset}.${extensionOf(format)}`;
}

/**
 * The public URL of a rendition: `<base>/r/<key>?v=<version>`, where base is RENDITIONS_BASE_URL
 * (the image distribution's domain in AWS; empty for a URL relative to the local server) and
 * version a prefix of the source's content hash, so a re-upload yields new URLs and each URL may
 * be cached forever. The route serving it: `api/renditions-route.ts`.
 */
export function renditionUrl(baseUrl: string, key: string, version: string): string {
  const path = key.split('/').map(encodeURIComponent).join('/');
  // 64 bits of the hash tell versions apart; an algorithm prefix (`sha256:`) would only lengthen the URL.
  const v = version.replace(/^[a-z0-9]+:/, '').slice(0, 16);
  return `${baseUrl}/r/${path}${v ? `?v=${encodeURIComponent(v)}` : ''}`;
}

/** Where the manifest of a source is written, in the renditions bucket. */
export function manifestKey(sourceKey: string): string {
  return `${sourceKey}/manifest.json`;
}

/** A focal point as ratios of the (oriented) image's width and height, 0..1. */
export interface FocalPoint {
  x: number;
  y: number;
}

/**
 * The crop a `cover` rendition takes from the source: the largest box of the target's aspect
 * ratio that fits, centred on the focal point as far as the image's edges allow. Pure geometry.
 */
export function focusCrop(source: Size, target: Size, focus: FocalPoint): { left: number; top: number; width: number; height: number } {
  const targetRatio = target.width / target.height;
  let width = source.width;
  let height = Math.round(width / targetRatio);
  if (height > source.height) {
    height = source.height;
    width = Math.max(1, Math.min(source.width, Math.round(height * targetRatio)));
  }
  height = Math.max(1, height);
  const clamp = (value: number, max: number) => Math.min(Math.max(0, Math.round(value)), max);
  return {
    left: clamp(focus.x * source.width - width / 2, source.width - width),
    top: clamp(focus.y * source.height - height / 2, source.height - height),
    width,
    height,
  };
}

/**
 * The ImageRequest of one rendition: a resize (for `cover` with a focal point: the box around
 * it, taken from the image resized to the scale the box needs), encoded in `format`. `source`
 * is the oriented size of the source image.
 */
export function renditionRequest(
  ref: SourceRef,
  preset: RenditionPreset,
  format: RenditionFormat,
  source: Size,
  focus?: FocalPoint,
): ImageRequest {
  const quality = typeof preset.quality === 'number' ? preset.quality : preset.quality?.[format];
  const output: ImageRequest['output'] = { format, ...(quality ? { quality } : {}) };
  const edits: ImageRequest['edits'] = {};
  if (preset.fit === 'cover' && preset.width && preset.height && focus) {
    const target = { width: preset.width, height: preset.height };
    const box = focusCrop(source, target, focus);
    const scale = target.width / box.width;
    if (scale < 1) {
      // Resize the whole image first, then take the box from it: the same pixels, but libvips
      // shrinks a JPEG or WebP while decoding it, where a crop first decodes every pixel of a
      // 12 MP photo for a 150 px thumbnail.
      const width = Math.max(target.width, Math.round(source.width * scale));
      const height = Math.max(target.height, Math.round(source.height * scale));
      edits.resize = { width, height, fit: 'fill' };
      edits.crop = {
        left: Math.min(Math.round(box.left * scale), width - target.width),
        top: Math.min(Math.round(box.top * scale), height - target.height),
        ...target,
      };
      return { source: ref, edits, output, preset: preset.name };
    }
    edits.crop = box;
  }
  edits.resize = {
    ...(preset.width ? { width: preset.width } : {}),
    ...(preset.height ? { height: preset.height } : {}),
    fit: preset.fit,
    withoutEnlargement: preset.withoutEnlargement,
  };
  return { source: ref, edits, output, preset: preset.name };
}

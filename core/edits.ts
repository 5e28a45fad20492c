/**
 * The edits an image request may carry: SIH's allow-list of sharp operations plus SIH's own
 * (crop, overlayWith, roundCrop, smartCrop, contentModeration, animated).
 *
 * Every option object is strict: an unknown option inside a known edit is refused with
 * `ImageEdits::InvalidEdit`, so a typo fails loudly. Costly parameters (sigma, kernel size,
 * dimensions) are bounded by {@link LIMITS}.
 */
import { LIMITS } from './limits.js';
import * as z from './zod.js';

/** A number in [min, max]; {@link whole}: a whole one (full zod's `.int().min().max()`, as checks). */
const between = (min: number, max: number) => z.number().check(z.gte(min), z.lte(max));
const whole = (min: number, max: number) => z.number().check(z.int(), z.gte(min), z.lte(max));

/** A colour as sharp takes it: CSS string (`#fff`, `red`, `rgb(...)`) or `{r,g,b,alpha}`. */
export const Color = z.lazy(() =>
  z.union([
    z.string().check(z.minLength(1), z.maxLength(64)),
    z.strictObject({ r: between(0, 255), g: between(0, 255), b: between(0, 255), alpha: z.optional(between(0, 1)) }),
  ]),
);

const dimension = whole(1, LIMITS.maxOutputDimension);
const offset = whole(0, 1_000_000);
const sigma = between(0.3, LIMITS.maxSigma);
const fit = z.enum(['cover', 'contain', 'fill', 'inside', 'outside']);
const gravity = z.enum([
  'centre', 'center', 'north', 'northeast', 'east', 'southeast', 'south', 'southwest', 'west', 'northwest',
  'top', 'right', 'bottom', 'left', 'right top', 'right bottom', 'left bottom', 'left top',
  'entropy', 'attention',
]);
/** A rectangle in source pixels. */
export const Region = z.lazy(() => z.strictObject({ left: offset, top: offset, width: dimension.check(z.lte(1_000_000)), height: dimension.check(z.lte(1_000_000)) }));
export type Region = z.infer<typeof Region>;

export const Resize = z.lazy(() =>
  z.strictObject({
    // SIH lets width/height be numeric strings and rounds floats; the doors normalise, the model is strict.
    width: z.nullish(dimension),
    height: z.nullish(dimension),
    fit: z.optional(fit),
    position: z.optional(z.union([gravity, whole(0, 16)])),
    background: z.optional(Color),
    kernel: z.optional(z.enum(['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3', 'mks2013', 'mks2021'])),
    withoutEnlargement: z.optional(z.boolean()),
    withoutReduction: z.optional(z.boolean()),
    fastShrinkOnLoad: z.optional(z.boolean()),
    /** SIH: scale both sides by this factor (applied by the pipeline, not sharp). */
    ratio: z.optional(z.number().check(z.gt(0), z.lte(LIMITS.maxDpr * 4))),
  }),
);
export type Resize = z.infer<typeof Resize>;

const percentOrPixels = z.union([
  whole(-1_000_000, 1_000_000),
  z.string().check(z.regex(/^-?\d{1,7}p?$/, 'a pixel offset or a percentage such as "10p" or "-5p"')),
]);

export const OverlayWith = z.lazy(() =>
  z.strictObject({
    bucket: z.string().check(z.minLength(1), z.maxLength(255)),
    key: z.string().check(z.minLength(1), z.maxLength(1024)),
    /** Overlay width as a percentage of the image width. */
    wRatio: z.optional(between(0, 100)),
    /** Overlay height as a percentage of the image height. */
    hRatio: z.optional(between(0, 100)),
    /** Transparency of the overlay, 0 (opaque) to 100 (invisible). */
    alpha: z.optional(between(0, 100)),
    options: z.optional(
      z.strictObject({
        left: z.optional(percentOrPixels),
        top: z.optional(percentOrPixels),
        gravity: z.optional(gravity),
        blend: z.optional(z.string().check(z.maxLength(32))),
        tile: z.optional(z.boolean()),
      }),
    ),
  }),
);
export type OverlayWith = z.infer<typeof OverlayWith>;

export const RoundCrop = z.lazy(() =>
  z.union([
    z.boolean(),
    z.strictObject({
      rx: z.optional(z.number().check(z.gte(0))),
      ry: z.optional(z.number().check(z.gte(0))),
      top: z.optional(z.number().check(z.gte(0))),
      left: z.optional(z.number().check(z.gte(0))),
    }),
  ]),
);
export type RoundCrop = z.infer<typeof RoundCrop>;

export const SmartCrop = z.lazy(() =>
  z.union([
    z.boolean(),
    z.strictObject({
      faceIndex: z.optional(whole(0, 100)),
      padding: z.optional(whole(0, LIMITS.maxOutputDimension)),
    }),
  ]),
);
export type SmartCrop = z.infer<typeof SmartCrop>;

export const ContentModeration = z.lazy(() =>
  z.union([
    z.boolean(),
    z.strictObject({
      minConfidence: z.optional(between(0, 100)),
      blur: z.optional(between(0, LIMITS.maxSigma)),
      moderationLabels: z.optional(z.array(z.string().check(z.maxLength(128))).check(z.maxLength(100))),
    }),
  ]),
);
export type ContentModeration = z.infer<typeof ContentModeration>;

/** libvips' interpretations (VipsInterpretation): any other name fails inside libvips. */
const colourspace = z.enum([
  'multiband', 'b-w', 'histogram', 'xyz', 'lab', 'cmyk', 'labq', 'rgb', 'cmc', 'lch', 'labs', 'srgb', 'yxy', 'fourier',
  'rgb16', 'grey16', 'matrix', 'scrgb', 'hsv',
]);
const matrix3 = z.array(z.array(z.number()).check(z.length(3))).check(z.length(3));
const matrix4 = z.array(z.array(z.number()).check(z.length(4))).check(z.length(4));
const numberOrList = z.union([z.number(), z.array(z.number()).check(z.maxLength(4))]);

/**
 * The sharp operations of SIH's allow-list, each with its option schema. The pipeline applies
 * them by name (`image[name](value)`), so adding one here is all it takes to support it.
 */
export const SHARP_OPERATIONS = z.lazyEach({
  rotate: () => z.union([between(-3600, 3600), z.null()]),
  flip: () => z.boolean(),
  flop: () => z.boolean(),
  affine: () => z.union([z.array(z.number()).check(z.length(4)), z.array(z.array(z.number()).check(z.length(2))).check(z.length(2))]),
  // sharp caps the sharpen sigma at 10.
  sharpen: () => z.union([
    z.boolean(),
    between(0.000001, 10),
    z.strictObject({
      sigma: between(0.000001, 10),
      m1: z.optional(between(0, 1000)),
      m2: z.optional(between(0, 1000)),
      x1: z.optional(between(0, 1000)),
      y2: z.optional(between(0, 1000)),
      y3: z.optional(between(0, 1000)),
    }),
  ]),
  median: () => z.union([z.boolean(), whole(1, LIMITS.maxKernelSize)]),
  blur: () => z.union([z.boolean(), sigma]),
  dilate: () => whole(1, LIMITS.maxKernelSize),
  erode: () => whole(1, LIMITS.maxKernelSize),
  flatten: () => z.union([z.boolean(), z.strictObject({ background: z.optional(Color) })]),
  unflatten: () => z.boolean(),
  gamma: () => z.union([z.boolean(), between(1, 3), z.array(between(1, 3)).check(z.length(2))]),
  negate: () => z.union([z.boolean(), z.strictObject({ alpha: z.optional(z.boolean()) })]),
  normalise: () => z.union([
    z.boolean(),
    z.strictObject({ lower: z.optional(between(0, 99)), upper: z.optional(between(1, 100)) }),
  ]),
  normalize: () => z.union([
    z.boolean(),
    z.strictObject({ lower: z.optional(between(0, 99)), upper: z.optional(between(1, 100)) }),
  ]),
  clahe: () => z.strictObject({
    width: whole(1, LIMITS.maxOutputDimension),
    height: whole(1, LIMITS.maxOutputDimension),
    maxSlope: z.optional(whole(0, 100)),
  }),
  convolve: () => z.strictObject({
    width: whole(3, LIMITS.maxKernelSize),
    height: whole(3, LIMITS.maxKernelSize),
    kernel: z.array(z.number()).check(z.maxLength(LIMITS.maxKernelSize ** 2)),
    scale: z.optional(z.number()),
    offset: z.optional(z.number()),
  }),
  threshold: () => z.union([
    z.boolean(),
    whole(0, 255),
    z.strictObject({ threshold: z.optional(whole(0, 255)), greyscale: z.optional(z.boolean()), grayscale: z.optional(z.boolean()) }),
  ]),
  linear: () => z.union([z.tuple([numberOrList, numberOrList]), z.number()]),
  recomb: () => z.union([matrix3, matrix4]),
  modulate: () => z.strictObject({
    brightness: z.optional(between(0, 100)),
    saturation: z.optional(between(0, 100)),
    hue: z.optional(between(-3600, 3600)),
    lightness: z.optional(between(-1000, 1000)),
  }),
  tint: () => Color,
  greyscale: () => z.boolean(),
  grayscale: () => z.boolean(),
  pipelineColourspace: () => colourspace,
  pipelineColorspace: () => colourspace,
  toColourspace: () => colourspace,
  toColorspace: () => colourspace,
  removeAlpha: () => z.boolean(),
  ensureAlpha: () => z.union([z.boolean(), between(0, 1)]),
  extractChannel: () => z.union([whole(0, 3), z.enum(['red', 'green', 'blue', 'alpha'])]),
  bandbool: () => z.enum(['and', 'or', 'eor']),
  extend: () => z.union([
    whole(0, LIMITS.maxOutputDimension),
    z.strictObject({
      top: z.optional(whole(0, LIMITS.maxOutputDimension)),
      bottom: z.optional(whole(0, LIMITS.maxOutputDimension)),
      left: z.optional(whole(0, LIMITS.maxOutputDimension)),
      right: z.optional(whole(0, LIMITS.maxOutputDimension)),
      extendWith: z.optional(z.enum(['background', 'copy', 'repeat', 'mirror'])),
      background: z.optional(Color),
    }),
  ]),
  extract: () => Region,
  trim: () => z.union([
    z.boolean(),
    z.strictObject({
      background: z.optional(Color),
      threshold: z.optional(between(0, 255)),
      lineArt: z.optional(z.boolean()),
    }),
  ]),
});
export type SharpOperation = keyof typeof SHARP_OPERATIONS;

/** Output formats and their per-format option objects (SIH: `edits.jpeg = { quality }`, ...). */
export const OUTPUT_FORMATS = ['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff', 'heif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const quality = whole(1, 100);
/** An animation's delay in ms: one for every frame, or one per frame. */
const frameDelay = z.number().check(z.int(), z.gte(0));
const frameDelays = z.union([frameDelay, z.array(frameDelay)]);
export const FORMAT_OPTIONS = z.lazyEach({
  jpeg: () => z.strictObject({
    quality: z.optional(quality),
    progressive: z.optional(z.boolean()),
    chromaSubsampling: z.optional(z.enum(['4:2:0', '4:4:4'])),
    mozjpeg: z.optional(z.boolean()),
    optimiseCoding: z.optional(z.boolean()),
    trellisQuantisation: z.optional(z.boolean()),
    overshootDeringing: z.optional(z.boolean()),
    optimiseScans: z.optional(z.boolean()),
    quantisationTable: z.optional(whole(0, 8)),
  }),
  png: () => z.strictObject({
    quality: z.optional(quality),
    progressive: z.optional(z.boolean()),
    compressionLevel: z.optional(whole(0, 9)),
    adaptiveFiltering: z.optional(z.boolean()),
    palette: z.optional(z.boolean()),
    effort: z.optional(whole(1, 10)),
    colours: z.optional(whole(2, 256)),
    colors: z.optional(whole(2, 256)),
    dither: z.optional(between(0, 1)),
  }),
  webp: () => z.strictObject({
    quality: z.optional(quality),
    alphaQuality: z.optional(quality),
    lossless: z.optional(z.boolean()),
    nearLossless: z.optional(z.boolean()),
    smartSubsample: z.optional(z.boolean()),
    effort: z.optional(whole(0, 6)),
    loop: z.optional(whole(0, 65535)),
    delay: z.optional(frameDelays),
  }),
  avif: () => z.strictObject({
    quality: z.optional(quality),
    lossless: z.optional(z.boolean()),
    // Effort above 6 costs tens of seconds per image: refused to keep requests bounded.
    effort: z.optional(whole(0, 6)),
    chromaSubsampling: z.optional(z.enum(['4:2:0', '4:4:4'])),
    bitdepth: z.optional(z.union([z.literal(8), z.literal(10), z.literal(12)])),
  }),
  heif: () => z.strictObject({
    quality: z.optional(quality),
    lossless: z.optional(z.boolean()),
    effort: z.optional(whole(0, 6)),
    chromaSubsampling: z.optional(z.enum(['4:2:0', '4:4:4'])),
    compression: z.optional(z.enum(['av1', 'hevc'])),
  }),
  gif: () => z.strictObject({
    reuse: z.optional(z.boolean()),
    progressive: z.optional(z.boolean()),
    colours: z.optional(whole(2, 256)),
    colors: z.optional(whole(2, 256)),
    effort: z.optional(whole(1, 10)),
    dither: z.optional(between(0, 1)),
    loop: z.optional(whole(0, 65535)),
    delay: z.optional(frameDelays),
  }),
  tiff: () => z.strictObject({
    quality: z.optional(quality),
    compression: z.optional(z.enum(['none', 'jpeg', 'deflate', 'packbits', 'ccittfax4', 'lzw', 'webp', 'zstd', 'jp2k'])),
    predictor: z.optional(z.enum(['none', 'horizontal', 'float'])),
    pyramid: z.optional(z.boolean()),
    tile: z.optional(z.boolean()),
  }),
}) satisfies Record<OutputFormat, z.ZodMiniType>;

/** SIH's own edits, handled by dedicated pipeline steps rather than by a sharp call. */
export const SIH_EDITS = {
  resize: Resize,
  crop: Region,
  overlayWith: OverlayWith,
  roundCrop: RoundCrop,
  smartCrop: SmartCrop,
  contentModeration: ContentModeration,
  /** false: treat an animated source as a still image (first frame). */
  animated: z.boolean(),
} as const;

// Every value is a `z.lazy` (or a one-instance schema): spreading them builds nothing.
const EDITS_SHAPE = { ...SIH_EDITS, ...SHARP_OPERATIONS };

export const Edits = z.partial(z.strictObject(EDITS_SHAPE));
export type Edits = z.infer<typeof Edits>;

/**
 * Names of every edit the model knows, in the model's order: used by the doors to separate edits
 * from output options. Read from the shape given, not `Edits.shape`, whose first read wraps every
 * edit in its `optional`.
 */
export const EDIT_NAMES: ReadonlySet<string> = new Set(Object.keys(EDITS_SHAPE));

/**
 * Parsed edits put back in the order the input listed them: the pipeline applies edits in that
 * order, as SIH does, and zod rebuilds an object in its schema's key order. Every parse of edits
 * from outside (requests, presets) goes through it.
 */
export function inInputOrder(edits: Edits, input: unknown): Edits {
  if (!input || typeof input !== 'object') return edits;
  const ordered: Record<string, unknown> = {};
  for (const name of Object.keys(input)) if (name in edits) ordered[name] = edits[name as keyof Edits];
  return ordered as Edits;
}

/**
 * The edits an image request may carry: SIH's allow-list of sharp operations plus SIH's own
 * (crop, overlayWith, roundCrop, smartCrop, contentModeration, animated).
 *
 * Every option object is strict: an unknown option inside a known edit is refused with
 * `ImageEdits::InvalidEdit`, so a typo fails loudly. Costly parameters (sigma, kernel size,
 * dimensions) are bounded by {@link LIMITS}.
 */
import { z } from 'zod';
import { LIMITS } from './limits.js';

const colorObject = z.strictObject({
  r: z.number().min(0).max(255),
  g: z.number().min(0).max(255),
  b: z.number().min(0).max(255),
  alpha: z.number().min(0).max(1).optional(),
});
/** A colour as sharp takes it: CSS string (`#fff`, `red`, `rgb(...)`) or `{r,g,b,alpha}`. */
export const Color = z.union([z.string().min(1).max(64), colorObject]);

const dimension = z.number().int().min(1).max(LIMITS.maxOutputDimension);
const offset = z.number().int().min(0).max(1_000_000);
const sigma = z.number().min(0.3).max(LIMITS.maxSigma);
const fit = z.enum(['cover', 'contain', 'fill', 'inside', 'outside']);
const gravity = z.enum([
  'centre', 'center', 'north', 'northeast', 'east', 'southeast', 'south', 'southwest', 'west', 'northwest',
  'top', 'right', 'bottom', 'left', 'right top', 'right bottom', 'left bottom', 'left top',
  'entropy', 'attention',
]);
/** A rectangle in source pixels. */
export const Region = z.strictObject({ left: offset, top: offset, width: dimension.max(1_000_000), height: dimension.max(1_000_000) });
export type Region = z.infer<typeof Region>;

export const Resize = z.strictObject({
  // SIH lets width/height be numeric strings and rounds floats; the doors normalise, the model is strict.
  width: dimension.nullish(),
  height: dimension.nullish(),
  fit: fit.optional(),
  position: z.union([gravity, z.number().int().min(0).max(16)]).optional(),
  background: Color.optional(),
  kernel: z.enum(['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3', 'mks2013', 'mks2021']).optional(),
  withoutEnlargement: z.boolean().optional(),
  withoutReduction: z.boolean().optional(),
  fastShrinkOnLoad: z.boolean().optional(),
  /** SIH: scale both sides by this factor (applied by the pipeline, not sharp). */
  ratio: z.number().positive().max(LIMITS.maxDpr * 4).optional(),
});
export type Resize = z.infer<typeof Resize>;

const percentOrPixels = z.union([
  z.number().int().min(-1_000_000).max(1_000_000),
  z.string().regex(/^-?\d{1,7}p?$/, 'a pixel offset or a percentage such as "10p" or "-5p"'),
]);

export const OverlayWith = z.strictObject({
  bucket: z.string().min(1).max(255),
  key: z.string().min(1).max(1024),
  /** Overlay width as a percentage of the image width. */
  wRatio: z.number().min(0).max(100).optional(),
  /** Overlay height as a percentage of the image height. */
  hRatio: z.number().min(0).max(100).optional(),
  /** Transparency of the overlay, 0 (opaque) to 100 (invisible). */
  alpha: z.number().min(0).max(100).optional(),
  options: z
    .strictObject({
      left: percentOrPixels.optional(),
      top: percentOrPixels.optional(),
      gravity: gravity.optional(),
      blend: z.string().max(32).optional(),
      tile: z.boolean().optional(),
    })
    .optional(),
});
export type OverlayWith = z.infer<typeof OverlayWith>;

export const RoundCrop = z.union([
  z.boolean(),
  z.strictObject({
    rx: z.number().min(0).optional(),
    ry: z.number().min(0).optional(),
    top: z.number().min(0).optional(),
    left: z.number().min(0).optional(),
  }),
]);
export type RoundCrop = z.infer<typeof RoundCrop>;

export const SmartCrop = z.union([
  z.boolean(),
  z.strictObject({
    faceIndex: z.number().int().min(0).max(100).optional(),
    padding: z.number().int().min(0).max(LIMITS.maxOutputDimension).optional(),
  }),
]);
export type SmartCrop = z.infer<typeof SmartCrop>;

export const ContentModeration = z.union([
  z.boolean(),
  z.strictObject({
    minConfidence: z.number().min(0).max(100).optional(),
    blur: z.number().min(0).max(LIMITS.maxSigma).optional(),
    moderationLabels: z.array(z.string().max(128)).max(100).optional(),
  }),
]);
export type ContentModeration = z.infer<typeof ContentModeration>;

/** libvips' interpretations (VipsInterpretation): any other name fails inside libvips. */
const colourspace = z.enum([
  'multiband', 'b-w', 'histogram', 'xyz', 'lab', 'cmyk', 'labq', 'rgb', 'cmc', 'lch', 'labs', 'srgb', 'yxy', 'fourier',
  'rgb16', 'grey16', 'matrix', 'scrgb', 'hsv',
]);
const matrix3 = z.array(z.array(z.number()).length(3)).length(3);
const matrix4 = z.array(z.array(z.number()).length(4)).length(4);
const numberOrList = z.union([z.number(), z.array(z.number()).max(4)]);

/**
 * The sharp operations of SIH's allow-list, each with its option schema. The pipeline applies
 * them by name (`image[name](value)`), so adding one here is all it takes to support it.
 */
export const SHARP_OPERATIONS = {
  rotate: z.union([z.number().min(-3600).max(3600), z.null()]),
  flip: z.boolean(),
  flop: z.boolean(),
  affine: z.union([z.array(z.number()).length(4), z.array(z.array(z.number()).length(2)).length(2)]),
  // sharp caps the sharpen sigma at 10.
  sharpen: z.union([
    z.boolean(),
    z.number().min(0.000001).max(10),
    z.strictObject({
      sigma: z.number().min(0.000001).max(10),
      m1: z.number().min(0).max(1000).optional(),
      m2: z.number().min(0).max(1000).optional(),
      x1: z.number().min(0).max(1000).optional(),
      y2: z.number().min(0).max(1000).optional(),
      y3: z.number().min(0).max(1000).optional(),
    }),
  ]),
  median: z.union([z.boolean(), z.number().int().min(1).max(LIMITS.maxKernelSize)]),
  blur: z.union([z.boolean(), sigma]),
  dilate: z.number().int().min(1).max(LIMITS.maxKernelSize),
  erode: z.number().int().min(1).max(LIMITS.maxKernelSize),
  flatten: z.union([z.boolean(), z.strictObject({ background: Color.optional() })]),
  unflatten: z.boolean(),
  gamma: z.union([z.boolean(), z.number().min(1).max(3), z.array(z.number().min(1).max(3)).length(2)]),
  negate: z.union([z.boolean(), z.strictObject({ alpha: z.boolean().optional() })]),
  normalise: z.union([
    z.boolean(),
    z.strictObject({ lower: z.number().min(0).max(99).optional(), upper: z.number().min(1).max(100).optional() }),
  ]),
  normalize: z.union([
    z.boolean(),
    z.strictObject({ lower: z.number().min(0).max(99).optional(), upper: z.number().min(1).max(100).optional() }),
  ]),
  clahe: z.strictObject({
    width: z.number().int().min(1).max(LIMITS.maxOutputDimension),
    height: z.number().int().min(1).max(LIMITS.maxOutputDimension),
    maxSlope: z.number().int().min(0).max(100).optional(),
  }),
  convolve: z.strictObject({
    width: z.number().int().min(3).max(LIMITS.maxKernelSize),
    height: z.number().int().min(3).max(LIMITS.maxKernelSize),
    kernel: z.array(z.number()).max(LIMITS.maxKernelSize ** 2),
    scale: z.number().optional(),
    offset: z.number().optional(),
  }),
  threshold: z.union([
    z.boolean(),
    z.number().int().min(0).max(255),
    z.strictObject({ threshold: z.number().int().min(0).max(255).optional(), greyscale: z.boolean().optional(), grayscale: z.boolean().optional() }),
  ]),
  linear: z.union([z.tuple([numberOrList, numberOrList]), z.number()]),
  recomb: z.union([matrix3, matrix4]),
  modulate: z.strictObject({
    brightness: z.number().min(0).max(100).optional(),
    saturation: z.number().min(0).max(100).optional(),
    hue: z.number().min(-3600).max(3600).optional(),
    lightness: z.number().min(-1000).max(1000).optional(),
  }),
  tint: Color,
  greyscale: z.boolean(),
  grayscale: z.boolean(),
  pipelineColourspace: colourspace,
  pipelineColorspace: colourspace,
  toColourspace: colourspace,
  toColorspace: colourspace,
  removeAlpha: z.boolean(),
  ensureAlpha: z.union([z.boolean(), z.number().min(0).max(1)]),
  extractChannel: z.union([z.number().int().min(0).max(3), z.enum(['red', 'green', 'blue', 'alpha'])]),
  bandbool: z.enum(['and', 'or', 'eor']),
  extend: z.union([
    z.number().int().min(0).max(LIMITS.maxOutputDimension),
    z.strictObject({
      top: z.number().int().min(0).max(LIMITS.maxOutputDimension).optional(),
      bottom: z.number().int().min(0).max(LIMITS.maxOutputDimension).optional(),
      left: z.number().int().min(0).max(LIMITS.maxOutputDimension).optional(),
      right: z.number().int().min(0).max(LIMITS.maxOutputDimension).optional(),
      extendWith: z.enum(['background', 'copy', 'repeat', 'mirror']).optional(),
      background: Color.optional(),
    }),
  ]),
  extract: Region,
  trim: z.union([
    z.boolean(),
    z.strictObject({
      background: Color.optional(),
      threshold: z.number().min(0).max(255).optional(),
      lineArt: z.boolean().optional(),
    }),
  ]),
} as const;
export type SharpOperation = keyof typeof SHARP_OPERATIONS;

/** Output formats and their per-format option objects (SIH: `edits.jpeg = { quality }`, ...). */
export const OUTPUT_FORMATS = ['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff', 'heif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const quality = z.number().int().min(1).max(100);
export const FORMAT_OPTIONS = {
  jpeg: z.strictObject({
    quality: quality.optional(),
    progressive: z.boolean().optional(),
    chromaSubsampling: z.enum(['4:2:0', '4:4:4']).optional(),
    mozjpeg: z.boolean().optional(),
    optimiseCoding: z.boolean().optional(),
    trellisQuantisation: z.boolean().optional(),
    overshootDeringing: z.boolean().optional(),
    optimiseScans: z.boolean().optional(),
    quantisationTable: z.number().int().min(0).max(8).optional(),
  }),
  png: z.strictObject({
    quality: quality.optional(),
    progressive: z.boolean().optional(),
    compressionLevel: z.number().int().min(0).max(9).optional(),
    adaptiveFiltering: z.boolean().optional(),
    palette: z.boolean().optional(),
    effort: z.number().int().min(1).max(10).optional(),
    colours: z.number().int().min(2).max(256).optional(),
    colors: z.number().int().min(2).max(256).optional(),
    dither: z.number().min(0).max(1).optional(),
  }),
  webp: z.strictObject({
    quality: quality.optional(),
    alphaQuality: quality.optional(),
    lossless: z.boolean().optional(),
    nearLossless: z.boolean().optional(),
    smartSubsample: z.boolean().optional(),
    effort: z.number().int().min(0).max(6).optional(),
    loop: z.number().int().min(0).max(65535).optional(),
    delay: z.union([z.number().int().min(0), z.array(z.number().int().min(0))]).optional(),
  }),
  avif: z.strictObject({
    quality: quality.optional(),
    lossless: z.boolean().optional(),
    // Effort above 6 costs tens of seconds per image: refused to keep requests bounded.
    effort: z.number().int().min(0).max(6).optional(),
    chromaSubsampling: z.enum(['4:2:0', '4:4:4']).optional(),
    bitdepth: z.union([z.literal(8), z.literal(10), z.literal(12)]).optional(),
  }),
  heif: z.strictObject({
    quality: quality.optional(),
    lossless: z.boolean().optional(),
    effort: z.number().int().min(0).max(6).optional(),
    chromaSubsampling: z.enum(['4:2:0', '4:4:4']).optional(),
    compression: z.enum(['av1', 'hevc']).optional(),
  }),
  gif: z.strictObject({
    reuse: z.boolean().optional(),
    progressive: z.boolean().optional(),
    colours: z.number().int().min(2).max(256).optional(),
    colors: z.number().int().min(2).max(256).optional(),
    effort: z.number().int().min(1).max(10).optional(),
    dither: z.number().min(0).max(1).optional(),
    loop: z.number().int().min(0).max(65535).optional(),
    delay: z.union([z.number().int().min(0), z.array(z.number().int().min(0))]).optional(),
  }),
  tiff: z.strictObject({
    quality: quality.optional(),
    compression: z.enum(['none', 'jpeg', 'deflate', 'packbits', 'ccittfax4', 'lzw', 'webp', 'zstd', 'jp2k']).optional(),
    predictor: z.enum(['none', 'horizontal', 'float']).optional(),
    pyramid: z.boolean().optional(),
    tile: z.boolean().optional(),
  }),
} as const satisfies Record<OutputFormat, z.ZodType>;

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

export const Edits = z.strictObject({
  ...SIH_EDITS,
  ...SHARP_OPERATIONS,
}).partial();
export type Edits = z.infer<typeof Edits>;

/** Names of every edit the model knows: used by the doors to separate edits from output options. */
export const EDIT_NAMES: ReadonlySet<string> = new Set(Object.keys(Edits.shape));

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

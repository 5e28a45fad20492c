/**
 * The one place `sharp()` is called for untrusted input: every instance gets the pixel limit,
 * the failure policy and the timeout, so no code path can forget them.
 */
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { ImageError } from '../errors.js';
import { DEFAULTS, LIMITS } from '../limits.js';
import { readsFromFile, type ImageInput } from './source-file.js';
import { checkSvgCost } from './svg-cost.js';

export interface ImageLimits {
  maxInputPixels: number;
  maxAnimationFrames: number;
  processingTimeoutMs: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = {
  maxInputPixels: LIMITS.maxInputPixels,
  maxAnimationFrames: LIMITS.maxAnimationFrames,
  processingTimeoutMs: LIMITS.processingTimeoutMs,
};

/** Process-wide libvips settings; call once at start (the composition root does). */
export function configureSharp(options: { concurrency?: number; cacheMemoryMb?: number } = {}): void {
  sharp.concurrency(options.concurrency ?? DEFAULTS.sharpConcurrency);
  sharp.cache({ memory: options.cacheMemoryMb ?? DEFAULTS.sharpCacheMemoryMb, files: 0, items: 0 });
}

/**
 * Opens an untrusted image (its bytes, or its open file: see `source-file.ts`) with every guard
 * applied. `pages: -1` keeps all frames of an animation; `strict` refuses what libvips only warns
 * about (see {@link checkDecodes}).
 */
export function openImage(input: ImageInput, limits: ImageLimits, options: { animated?: boolean; strict?: boolean } = {}): Sharp {
  return sharp(Buffer.isBuffer(input) ? input : input.path, {
    limitInputPixels: limits.maxInputPixels,
    // Refuse truncated or corrupt files rather than render grey: the client gets a clear error.
    failOn: options.strict ? 'warning' : 'error',
    ...(options.animated ? { pages: -1 } : {}),
    sequentialRead: true,
  }).timeout({ seconds: Math.max(1, Math.ceil(limits.processingTimeoutMs / 1000)) });
}

/** Opens an image we produced ourselves (an intermediate buffer): no need to re-check limits. */
export function openTrusted(input: Buffer | SharpOptions['create'], options: SharpOptions = {}): Sharp {
  return Buffer.isBuffer(input) ? sharp(input, options) : sharp({ create: input! });
}

export interface SourceInfo {
  format: string;
  /** Width and height after EXIF orientation, of one frame. */
  width: number;
  height: number;
  pages: number;
  hasAlpha: boolean;
  orientation: number;
  size: number;
}

/**
 * Reads only the header and refuses decompression bombs before any pixel is decoded:
 * declared width × height × frames above the limit, a side longer than any real image's, or too
 * many frames.
 *
 * An open file's header is read by libvips through the file's name. Its verdict stands only for a
 * format read the same from a file as from bytes; any other format (SVG, whose cost check reads
 * the bytes), and any failure, is the bytes' verdict: the same facts and errors as before.
 */
export async function inspectImage(input: ImageInput, limits: ImageLimits): Promise<SourceInfo> {
  if (!Buffer.isBuffer(input)) {
    const info = await inspectHeader(input.path, input.size, limits).catch(() => undefined);
    return info && readsFromFile(info.format) ? info : inspectImage(await input.read(), limits);
  }
  const info = await inspectHeader(input, input.length, limits);
  // librsvg cannot be stopped once it renders (sharp's timeout waits for it): refuse costly SVGs now.
  if (info.format === 'svg') checkSvgCost(input, { width: info.width, height: info.height }, LIMITS);
  return info;
}

async function inspectHeader(input: Buffer | string, size: number, limits: ImageLimits): Promise<SourceInfo> {
  let metadata: Metadata;
  try {
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw mapSharpError(error);
  }
  const { width = 0, height = 0, orientation = 1 } = metadata;
  const pages = metadata.pages ?? 1;
  const frameHeight = metadata.pageHeight ?? height;
  if (!width || !height) throw new ImageError('ImageSource::CorruptImage', 'The source image declares no dimensions.', 422);
  if (width * frameHeight * pages > limits.maxInputPixels || width * height > limits.maxInputPixels) {
    throw new ImageError(
      'ImageSource::TooManyPixels',
      `The source image is ${width}×${frameHeight} pixels${pages > 1 ? ` × ${pages} frames` : ''}, more than the limit of ${limits.maxInputPixels} pixels.`,
      413,
    );
  }
  if (width > LIMITS.maxInputSide || frameHeight > LIMITS.maxInputSide) {
    throw new ImageError(
      'ImageSource::DimensionTooLarge',
      `The source image is ${width}×${frameHeight} pixels; no side may be longer than ${LIMITS.maxInputSide} pixels.`,
      413,
    );
  }
  if (pages > limits.maxAnimationFrames) {
    throw new ImageError(
      'ImageSource::TooManyFrames',
      `The source image has ${pages} frames, more than the limit of ${limits.maxAnimationFrames}.`,
      413,
    );
  }
  const rotated = orientation >= 5 && orientation <= 8;
  return {
    // libvips reads AVIF with its HEIF loader: an AV1-coded HEIF is an AVIF, and is written back as one.
    format: metadata.format === 'heif' && metadata.compression === 'av1' ? 'avif' : (metadata.format ?? 'unknown'),
    width: rotated ? frameHeight : width,
    height: rotated ? width : frameHeight,
    pages,
    hasAlpha: metadata.hasAlpha ?? false,
    orientation,
    size,
  };
}

/**
 * Decodes every pixel of the image (every frame), at a tiny size so memory stays low, and
 * refuses even what libvips only warns about. A JPEG whose entropy-coded data is junk (a header
 * followed by random bytes) decodes without error at the default `failOn: 'error'`, as grey
 * blocks; libjpeg does warn ("Corrupt JPEG data: bad Huffman code"). The bulk workflow runs this
 * once, in Inspect, so such a file fails the execution before anything is rendered or published.
 */
export async function checkDecodes(input: Buffer, limits: ImageLimits): Promise<void> {
  try {
    await openImage(input, limits, { animated: true, strict: true }).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch (error) {
    const mapped = mapSharpError(error);
    if (mapped instanceof ImageError && mapped.code !== 'ImageSource::UnsupportedFormat') throw mapped;
    // The header was read before: any failure to decode what follows is the file's.
    throw new ImageError('ImageSource::CorruptImage', 'The source image is corrupt or truncated.', 422, { cause: error });
  }
}

/** Turns libvips' failures on bad input into client errors with stable codes. */
export function mapSharpError(error: unknown): Error {
  if (error instanceof ImageError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/unsupported image format|bad seek|not a known file format|unable to load|input (buffer|file) is empty/i.test(message)) {
    return new ImageError('ImageSource::UnsupportedFormat', 'The source is not an image in a supported format.', 415, {
      cause: error,
    });
  }
  if (/pixel limit/i.test(message)) {
    return new ImageError('ImageSource::TooManyPixels', 'The source image has more pixels than the limit.', 413, { cause: error });
  }
  // sharp's own check of a header: a TIFF whose samples per pixel a byte flip made 247 (found by the fuzzer: a 500 before).
  if (/exceeds channel limit/i.test(message)) {
    return new ImageError('ImageSource::CorruptImage', 'The source image is corrupt or truncated.', 422, { cause: error });
  }
  if (/timeout/i.test(message)) {
    return new ImageError('Image::ProcessingTimeout', 'Processing the image took longer than the limit.', 422, { cause: error });
  }
  // Any libvips loader failing ("jpegload_buffer: load error", "heifload: …") means the bytes are bad.
  if (/premature end|truncated|corrupt|invalid|read error|decode|not enough|unexpected end|VipsJpeg|VipsPng|gifload|webp|heif|tiff|libspng|out of order|bad|load(_buffer|_source)?: |load error/i.test(message)) {
    return new ImageError('ImageSource::CorruptImage', `The source image is corrupt or truncated.`, 422, { cause: error });
  }
  return error instanceof Error ? error : new Error(message);
}

/**
 * For a failure no message explains: libvips reports some broken sources only as the encoder
 * starving ("unable to write to target", "Unknown error"), and any failure may lose its message.
 * libvips keeps one error buffer for the whole process (every thread, the analysis worker's too);
 * sharp reads it when a call fails but clears it whenever a call ends, so a failure that coincides
 * with another call's end reads it empty: "Unknown error" (lovell/sharp#902; a truncated JPEG
 * decoded beside one successful call lost it 1 time in 5). Decoding the source alone (to a tiny
 * copy, so memory stays low) tells whether it is to blame: then it is the client's 422, else the
 * original error stands (a fault of ours). Use it wherever a client's file is decoded.
 */
export async function blameSource(error: unknown, input: ImageInput, limits: ImageLimits): Promise<Error> {
  const mapped = mapSharpError(error);
  if (mapped instanceof ImageError) return mapped;
  try {
    await openImage(input, limits).resize(8, 8, { fit: 'inside' }).raw().toBuffer();
    return mapped;
  } catch {
    return new ImageError('ImageSource::CorruptImage', 'The source image is corrupt or truncated.', 422, { cause: error });
  }
}

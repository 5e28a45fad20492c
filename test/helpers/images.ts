/**
 * Image assertions for tests: compare by dimensions, format and a pixel tolerance, never by bytes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** A sample photograph shipped in `samples/` (see its LICENSE.md). */
export function samplePhoto(name: 'astronaut' | 'chelsea' | 'coffee' | 'rocket'): Buffer {
  return readFileSync(path.join(ROOT, 'samples', `${name}.jpg`));
}

export function fixture(...parts: string[]): Buffer {
  return readFileSync(path.join(ROOT, 'test', 'fixtures', ...parts));
}

/** A solid or two-colour test image, made on the fly. */
export async function makeImage(
  width: number,
  height: number,
  format: 'png' | 'jpeg' | 'webp' | 'gif' = 'png',
  background = '#3366cc',
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background } }).toFormat(format).toBuffer();
}

export interface PixelDifference {
  /** Mean absolute difference per channel, 0..255. */
  mean: number;
  /** Largest single-channel difference. */
  max: number;
}

/** Decodes both images to RGBA at the same size and measures how far apart their pixels are. */
export async function pixelDifference(actual: Buffer, expected: Buffer): Promise<PixelDifference> {
  const a = await sharp(actual).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const b = await sharp(expected).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  if (a.info.width !== b.info.width || a.info.height !== b.info.height) {
    throw new Error(`sizes differ: ${a.info.width}×${a.info.height} vs ${b.info.width}×${b.info.height}`);
  }
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.data.length; i++) {
    const difference = Math.abs(a.data[i]! - b.data[i]!);
    sum += difference;
    if (difference > max) max = difference;
  }
  return { mean: sum / a.data.length, max };
}

export async function imageInfo(image: Buffer): Promise<{ format: string; width: number; height: number; pages: number }> {
  const metadata = await sharp(image).metadata();
  return {
    format: metadata.format ?? 'unknown',
    width: metadata.width ?? 0,
    height: metadata.pageHeight ?? metadata.height ?? 0,
    pages: metadata.pages ?? 1,
  };
}

/** The average colour (RGB) of a region, to check where something landed. */
export async function regionColor(image: Buffer, region: { left: number; top: number; width: number; height: number }) {
  // stats() describes the input, not the extracted region: average the raw pixels ourselves.
  const { data, info } = await sharp(image).extract(region).raw().toBuffer({ resolveWithObject: true });
  const sums: number[] = new Array(info.channels).fill(0);
  for (let i = 0; i < data.length; i += info.channels) for (let c = 0; c < info.channels; c++) sums[c]! += data[i + c]!;
  return sums.map((sum) => Math.round(sum / (info.width * info.height)));
}

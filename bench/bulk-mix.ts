/**
 * The bulk bench's uploads: a realistic mix, made deterministically from samples/ with sharp and
 * cached under .cache/bench/bulk-mix/ (never committed). What a photo site receives:
 *
 * - sizes spread from 0.5 to 12 MP around a median of ~2.4 MP (log-normal quantiles, σ 0.8,
 *   clipped), in a shuffled order so large and small uploads interleave;
 * - 60 % JPEG (camera-like, EXIF, a few rotated by orientation 6), 20 % PNG (half with alpha),
 *   20 % WebP; one upload in 20 an animation (animated GIF and animated WebP in turn, 8 frames of
 *   ~0.3 MP: banners and stickers, not video);
 * - aspect ratios 4:3, 3:2, 16:9, 3:4 and 1:1 in turn; every file's pixels differ (a hue per index),
 *   so every upload has its own ETag and execution.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { seededRandom } from '../core/seeded-random.js';

const ROOT = process.cwd();
const SAMPLES = ['astronaut', 'chelsea', 'coffee', 'rocket'].map((name) => path.join(ROOT, 'samples', `${name}.jpg`));
/** Bump when the recipe changes so cached files are rebuilt. */
const RECIPE = '2';

export type MixFormat = 'jpeg' | 'png' | 'webp' | 'gif';

export interface MixItem {
  file: string;
  format: MixFormat;
  animated: boolean;
  /** Pixels of one frame, in MP. */
  megapixels: number;
  bytes: number;
}

const ASPECTS: ReadonlyArray<[number, number]> = [
  [4, 3],
  [3, 2],
  [16, 9],
  [3, 4],
  [1, 1],
];

/** Acklam's rational approximation of the normal quantile (ample for choosing sizes). */
function probit(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const q = Math.min(p, 1 - p);
  let x: number;
  if (q < 0.02425) {
    const r = Math.sqrt(-2 * Math.log(q));
    x = (((((c[0]! * r + c[1]!) * r + c[2]!) * r + c[3]!) * r + c[4]!) * r + c[5]!) / ((((d[0]! * r + d[1]!) * r + d[2]!) * r + d[3]!) * r + 1);
    x = -x;
  } else {
    const s = q - 0.5;
    const r = s * s;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * s) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  }
  return p < 0.5 ? x : -x;
}

/** The megapixels of `n` uploads: quantiles of a log-normal around 2.4 MP, shuffled. */
export function mixSizes(n: number, median = 2.4): number[] {
  const sizes = Array.from({ length: n }, (_, i) => Math.min(12, Math.max(0.5, median * Math.exp(0.8 * probit((i + 0.5) / n)))));
  const next = seededRandom(19);
  for (let i = sizes.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [sizes[i], sizes[j]] = [sizes[j]!, sizes[i]!];
  }
  return sizes;
}

function kindOf(index: number): { format: MixFormat; animated: boolean } {
  if (index % 20 === 9) return { format: index % 40 === 9 ? 'gif' : 'webp', animated: true };
  if (index % 5 === 1) return { format: 'png', animated: false };
  if (index % 5 === 3) return { format: 'webp', animated: false };
  return { format: 'jpeg', animated: false };
}

/** The first `n` uploads of the mix (`scale` shrinks every size, for the smoke run). */
export async function realisticMix(n: number, options: { scale?: number } = {}): Promise<MixItem[]> {
  const scale = options.scale ?? 1;
  const dir = path.join(ROOT, '.cache', 'bench', 'bulk-mix', `r${RECIPE}-n${n}-s${scale}`);
  await mkdir(dir, { recursive: true });
  const sizes = mixSizes(n);
  const items: MixItem[] = [];
  for (let index = 0; index < n; index++) {
    const { format, animated } = kindOf(index);
    const [aw, ah] = ASPECTS[index % ASPECTS.length]!;
    const megapixels = (animated ? 0.3 : sizes[index]!) * scale;
    const width = Math.max(16, Math.round(Math.sqrt((megapixels * 1e6 * aw) / ah)));
    const height = Math.max(16, Math.round((width * ah) / aw));
    const file = path.join(dir, `upload-${String(index).padStart(4, '0')}.${format === 'jpeg' ? 'jpg' : format}`);
    if (!existsSync(file)) await writeFile(file, await make(index, format, animated, width, height));
    items.push({ file, format, animated, megapixels: Math.round(((width * height) / 1e6) * 100) / 100, bytes: (await stat(file)).size });
  }
  return items;
}

/** Removes the mixes of other recipes and counts (they are large). */
export async function pruneMixes(keep: string): Promise<void> {
  const parent = path.join(ROOT, '.cache', 'bench', 'bulk-mix');
  for (const name of await readdir(parent).catch(() => [])) if (name !== keep) await rm(path.join(parent, name), { recursive: true, force: true });
}

/** Camera-like pixels: the four samples tiled 2×2 (real detail everywhere), tinted per index. */
async function photo(index: number, width: number, height: number, alpha: boolean): Promise<Sharp> {
  const tileW = Math.ceil(width / 2);
  const tileH = Math.ceil(height / 2);
  const order = [0, 1, 2, 3].map((i) => SAMPLES[(i + index) % SAMPLES.length]!);
  const tiles = await Promise.all(order.map((file) => sharp(file).resize(tileW, tileH, { fit: 'cover' }).toBuffer()));
  let pixels = await sharp({ create: { width: tileW * 2, height: tileH * 2, channels: 3, background: '#000' } })
    .composite(tiles.map((input, i) => ({ input, left: (i % 2) * tileW, top: Math.floor(i / 2) * tileH })))
    .extract({ left: 0, top: 0, width, height })
    .removeAlpha()
    .modulate({ hue: (index * 37) % 360 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  // Sensor grain: upscaled samples alone are smoother than photos, which flatters every encoder.
  const grain = await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 24 } } })
    .png({ compressionLevel: 0 })
    .toBuffer();
  pixels = await sharp(pixels.data, { raw: { width, height, channels: pixels.info.channels } })
    .composite([{ input: grain, blend: 'soft-light' }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width, height, channels: pixels.info.channels } };
  if (!alpha) return sharp(pixels.data, raw);
  const mask = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><ellipse cx="${width / 2}" cy="${height / 2}" rx="${width * 0.46}" ry="${height * 0.46}" fill="#fff"/></svg>`,
  );
  return sharp(await sharp(pixels.data, raw).ensureAlpha().composite([{ input: mask, blend: 'dest-in' }]).png().toBuffer());
}

async function make(index: number, format: MixFormat, animated: boolean, width: number, height: number): Promise<Buffer> {
  if (animated) {
    const frames = 8;
    const pages = await Promise.all(
      Array.from({ length: frames }, async (_, frame) => (await photo(index + frame, width, height, false)).ensureAlpha().raw().toBuffer()),
    );
    const strip = sharp(Buffer.concat(pages), { raw: { width, height: height * frames, channels: 4, pageHeight: height } });
    const delay = Array<number>(frames).fill(120);
    return format === 'gif' ? strip.gif({ delay, loop: 0, effort: 3 }).toBuffer() : strip.webp({ delay, loop: 0, quality: 80 }).toBuffer();
  }
  const image = await photo(index, width, height, format === 'png' && index % 10 === 1);
  if (format === 'png') return image.png({ compressionLevel: 6 }).toBuffer();
  if (format === 'webp') return image.webp({ quality: 82 }).toBuffer();
  // One JPEG in ten stored sideways with EXIF orientation 6, as phones do.
  const sideways = index % 10 === 4;
  if (!sideways) return image.withExif({ IFD0: { Make: 'shutter-bench' } }).jpeg({ quality: 88 }).toBuffer();
  const { data, info } = await image.rotate(-90).raw().toBuffer({ resolveWithObject: true });
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 88 })
    .toBuffer();
}

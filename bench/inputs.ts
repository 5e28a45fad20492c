/**
 * The bench's source images, made deterministically from samples/ and cached under
 * .cache/bench/inputs/<full|smoke>/ (never committed): a 12 MP and a 2 MP camera-like JPEG, a
 * PNG with an alpha channel and an animated GIF. Every engine reads the same files.
 *
 * Each input also gets one copy per load-generator connection (`c0-…`, `c1-…`): connections never
 * ask for the same object at once, so "uncached" runs measure renders, not request coalescing.
 */
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

export const ROOT = path.resolve(import.meta.dirname, '..');
const SAMPLES = ['astronaut', 'chelsea', 'coffee', 'rocket'].map((name) => path.join(ROOT, 'samples', `${name}.jpg`));

export type InputName = 'photo-12mp.jpg' | 'photo-2mp.jpg' | 'alpha.png' | 'anim.gif';

export interface Inputs {
  dir: string;
  /** Bytes of each input, for in-process runs. */
  bytes: Record<InputName, Buffer>;
  /** Width × height of each input (one frame for the GIF). */
  sizes: Record<InputName, { width: number; height: number; pages: number }>;
  copies: number;
}

/** Bump when the recipe changes so cached inputs are rebuilt. */
const RECIPE = '2';

export async function prepareInputs(options: { smoke: boolean; copies: number }): Promise<Inputs> {
  const dir = path.join(ROOT, '.cache', 'bench', 'inputs', options.smoke ? 'smoke' : 'full');
  const stamp = path.join(dir, `.recipe-${RECIPE}-${options.copies}`);
  if (!existsSync(stamp)) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const scale = options.smoke ? 0.1 : 1;
    const files: Record<InputName, Buffer> = {
      'photo-12mp.jpg': await photo(Math.round(4240 * scale), Math.round(2832 * scale)),
      'photo-2mp.jpg': await photo(Math.round(1732 * scale), Math.round(1155 * scale)),
      'alpha.png': await alphaPng(Math.round(1600 * scale), Math.round(1200 * scale)),
      'anim.gif': await animatedGif(Math.round(480 * Math.max(scale, 0.5)), Math.round(320 * Math.max(scale, 0.5)), options.smoke ? 3 : 12),
    };
    for (const [name, body] of Object.entries(files)) {
      await writeFile(path.join(dir, name), body);
      for (let copy = 0; copy < options.copies; copy++) await link(path.join(dir, name), path.join(dir, copyName(name as InputName, copy)));
    }
    await writeFile(stamp, '');
  }
  const names: InputName[] = ['photo-12mp.jpg', 'photo-2mp.jpg', 'alpha.png', 'anim.gif'];
  const bytes = {} as Inputs['bytes'];
  const sizes = {} as Inputs['sizes'];
  for (const name of names) {
    bytes[name] = await readFile(path.join(dir, name));
    const metadata = await sharp(bytes[name]).metadata();
    sizes[name] = { width: metadata.width!, height: metadata.pageHeight ?? metadata.height!, pages: metadata.pages ?? 1 };
  }
  return { dir, bytes, sizes, copies: options.copies };
}

/** The name of connection `copy`'s own copy of an input. */
export function copyName(name: InputName, copy: number): string {
  return `c${copy}-${name}`;
}

/** A camera-like photo: the four samples tiled 2×2 (real detail everywhere), resized, q90 4:2:0 with EXIF. */
async function photo(width: number, height: number): Promise<Buffer> {
  const tileW = Math.ceil(width / 2);
  const tileH = Math.ceil(height / 2);
  const tiles = await Promise.all(SAMPLES.map((file) => sharp(file).resize(tileW, tileH, { fit: 'cover' }).toBuffer()));
  return sharp({ create: { width: tileW * 2, height: tileH * 2, channels: 3, background: '#000' } })
    .composite(tiles.map((input, i) => ({ input, left: (i % 2) * tileW, top: Math.floor(i / 2) * tileH })))
    .extract({ left: 0, top: 0, width, height })
    .withExif({ IFD0: { Make: 'shutter-bench', Model: 'synthetic' } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A cut-out: a sample photo inside an ellipse, transparent around it. */
async function alphaPng(width: number, height: number): Promise<Buffer> {
  const mask = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><ellipse cx="${width / 2}" cy="${height / 2}" rx="${width * 0.45}" ry="${height * 0.45}" fill="#fff"/></svg>`,
  );
  return sharp(SAMPLES[3]!)
    .resize(width, height, { fit: 'cover' })
    .ensureAlpha()
    .composite([{ input: mask, blend: 'dest-in' }])
    .png()
    .toBuffer();
}

/** An animated GIF: the samples in turn, `frames` frames. */
async function animatedGif(width: number, height: number, frames: number): Promise<Buffer> {
  const pages = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp(SAMPLES[i % SAMPLES.length]!)
        .resize(width, height, { fit: 'cover' })
        .modulate({ hue: i * 15 })
        .ensureAlpha()
        .raw()
        .toBuffer(),
    ),
  );
  return sharp(Buffer.concat(pages), { raw: { width, height: height * frames, channels: 4, pageHeight: height } })
    .gif({ delay: Array(frames).fill(100), loop: 0 })
    .toBuffer();
}

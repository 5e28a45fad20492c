/**
 * Hostile image files, made on the fly: decompression bombs that declare huge dimensions in
 * their headers (with almost no data behind them), animations with thousands of frames, and
 * files whose metadata (EXIF, ICC, compressed text chunks) is enormous. Each is small on disk;
 * what it exercises is named by its function.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** A valid PNG signature and IHDR declaring huge dimensions, with no pixel data to speak of. */
export function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A small real JPEG whose SOF marker is rewritten to declare `width`×`height` (max 65535 each). */
export async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).jpeg().toBuffer());
  for (let i = 2; i < jpeg.length - 8; i++) {
    // SOF0..SOF2: FF C0..C2, length, precision, then height and width (big-endian).
    if (jpeg[i] === 0xff && jpeg[i + 1]! >= 0xc0 && jpeg[i + 1]! <= 0xc2) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return jpeg;
    }
  }
  throw new Error('no SOF marker');
}

/** A small real GIF whose logical screen and first frame declare `width`×`height` (max 65535 each). */
export async function gifDeclaring(width: number, height: number): Promise<Buffer> {
  const gif = Buffer.from(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).gif().toBuffer());
  gif.writeUInt16LE(width, 6);
  gif.writeUInt16LE(height, 8);
  const descriptor = gif.indexOf(0x2c, 13); // the first image descriptor
  gif.writeUInt16LE(width, descriptor + 5);
  gif.writeUInt16LE(height, descriptor + 7);
  return gif;
}

/** A small real lossy WebP whose VP8 frame header declares `width`×`height` (max 16383 each). */
export async function webpDeclaring(width: number, height: number): Promise<Buffer> {
  const webp = Buffer.from(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).webp({ lossless: false }).toBuffer());
  const vp8 = webp.indexOf('VP8 ', 12, 'latin1');
  if (vp8 < 0) throw new Error('no VP8 chunk');
  // Chunk header (8) + frame tag (3) + start code (3), then 14-bit width and height.
  webp.writeUInt16LE(width & 0x3fff, vp8 + 14);
  webp.writeUInt16LE(height & 0x3fff, vp8 + 16);
  return webp;
}

/** An SVG declaring a canvas of `width`×`height` user units. */
export function svgDeclaring(width: number, height: number): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="10" height="10"/></svg>`);
}

/** An animated GIF of `frames` frames, each `width`×`height`. */
export async function animatedGif(frames: number, width = 1, height = 1): Promise<Buffer> {
  // Each frame a different grey, so the encoder cannot merge identical frames away.
  const frameBytes = width * height * 3;
  const pixels = Buffer.alloc(frameBytes * frames);
  for (let frame = 0; frame < frames; frame++) pixels.fill(frame % 2 ? 0x20 : 0xe0, frame * frameBytes, (frame + 1) * frameBytes);
  return sharp(pixels, { raw: { width, height: height * frames, channels: 3, pageHeight: height } }).gif({ effort: 1 }).toBuffer();
}

/** A tiny JPEG carrying `segments` APP1 Exif segments of ~64 KB of junk each. */
export async function jpegWithHugeExif(segments: number): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).jpeg().toBuffer();
  const payload = Buffer.alloc(65_000, 0xff);
  Buffer.from('Exif\0\0II*\0\x08\0\0\0\xff\xff', 'latin1').copy(payload); // an IFD claiming 65535 entries
  return insertAfterSoi(jpeg, Array.from({ length: segments }, () => jpegSegment(0xe1, payload)));
}

/** A tiny JPEG carrying an ICC profile of `chunks` × ~64 KB of junk, split over APP2 segments as the spec allows. */
export async function jpegWithHugeIcc(chunks: number): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).jpeg().toBuffer();
  const segments = Array.from({ length: chunks }, (_, i) => {
    const header = Buffer.concat([Buffer.from('ICC_PROFILE\0', 'latin1'), Buffer.from([i + 1, chunks])]);
    const body = Buffer.alloc(65_000, i & 0xff);
    if (i === 0) body.writeUInt32BE(chunks * 65_000, 0); // the profile's declared size
    return jpegSegment(0xe2, Buffer.concat([header, body]));
  });
  return insertAfterSoi(jpeg, segments);
}

/** A tiny PNG with a compressed chunk (`zTXt` text or `iCCP` profile) that inflates to `inflatedBytes`. */
export async function pngWithCompressedChunk(type: 'zTXt' | 'iCCP', inflatedBytes: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).png().toBuffer();
  const bomb = deflateSync(Buffer.alloc(inflatedBytes), { level: 9 });
  const data = Buffer.concat([Buffer.from(type === 'zTXt' ? 'Comment' : 'bomb', 'latin1'), Buffer.from([0, 0]), bomb]);
  const afterIhdr = 8 + 25; // signature + IHDR chunk
  return Buffer.concat([png.subarray(0, afterIhdr), pngChunk(type, data), png.subarray(afterIhdr)]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function jpegSegment(marker: number, payload: Buffer): Buffer {
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

function insertAfterSoi(jpeg: Buffer, segments: Buffer[]): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}

export function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** `<use>` nested `levels` deep, `fanOut` each: fanOut^levels instances from a few KB (librsvg stops at 500,000, after seconds of CPU). */
export function nestedUse(levels: number, fanOut = 10): string {
  let body = '<g id="a0"><rect width="1" height="1"/></g>';
  for (let level = 1; level <= levels; level++) body += `<g id="a${level}">${`<use xlink:href="#a${level - 1}"/>`.repeat(fanOut)}</g>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64"><defs>${body}</defs><use href="#a${levels}"/></svg>`;
}

/** The shape of the 283-byte attack: one filter primitive whose cost grows with an attribute, over a large canvas. */
export const filterBomb = (primitive: string, side = 4000): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><filter id="f">${primitive}</filter><rect width="${side}" height="${side}" fill="red" filter="url(#f)"/></svg>`;

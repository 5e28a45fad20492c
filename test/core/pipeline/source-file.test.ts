/**
 * A source's header read through its open file (`/proc/self/fd/N`) gives exactly the facts and
 * errors its bytes give; formats libvips reads otherwise from a file name are judged by the bytes.
 */
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { configureSharp, DEFAULT_IMAGE_LIMITS, inspectImage } from '../../../core/pipeline/sharp-factory.js';
import { bytesOf, descriptorFolder, OPEN_DESCRIPTORS, readsFromFile, sizeOf, type SourceFile } from '../../../core/pipeline/source-file.js';
import { jpegDeclaring, svgDeclaring } from '../../helpers/hostile-images.js';
import { samplePhoto } from '../../helpers/images.js';

const folder = mkdtempSync(path.join(tmpdir(), 'shutter-source-file-'));
// As the composition root sets it: libvips' cache off (sharp starts with it on).
beforeAll(() => configureSharp());

/** `bytes` as an open file, the way the image handler hands it over; `reads` counts read() calls. */
async function asOpenFile<T>(bytes: Buffer, use: (file: SourceFile & { reads: number }) => Promise<T>): Promise<T> {
  const name = path.join(folder, `source-${Math.random().toString(36).slice(2)}`);
  writeFileSync(name, bytes);
  const fd = openSync(name, 'r');
  try {
    const file = {
      path: `${OPEN_DESCRIPTORS}/${fd}`,
      size: bytes.length,
      reads: 0,
      read: async () => {
        file.reads++;
        return bytes;
      },
    };
    return await use(file);
  } finally {
    closeSync(fd);
  }
}

const outcome = (promise: Promise<unknown>) => promise.then((value) => ({ value }), (error: { code?: string; status?: number; message?: string }) => ({ error: { code: error.code, status: error.status, message: error.message } }));

const photo = samplePhoto('coffee');
const sources: Array<[string, () => Promise<Buffer> | Buffer, { fromFile: boolean }]> = [
  ['JPEG', () => photo, { fromFile: true }],
  ['JPEG, EXIF orientation 6', () => sharp(photo).resize(120, 80).withMetadata({ orientation: 6 }).jpeg().toBuffer(), { fromFile: true }],
  ['PNG with alpha', () => sharp(photo).resize(90).ensureAlpha(0.5).png().toBuffer(), { fromFile: true }],
  ['WebP', () => sharp(photo).resize(90).webp().toBuffer(), { fromFile: true }],
  ['animated GIF', () => sharp(photo).resize(40, 40).gif().toBuffer().then((frame) => sharp([frame, frame, frame], { join: { animated: true } }).gif().toBuffer()), { fromFile: true }],
  ['TIFF', () => sharp(photo).resize(90).tiff().toBuffer(), { fromFile: true }],
  ['AVIF', () => sharp(photo).resize(90).avif({ effort: 0 }).toBuffer(), { fromFile: true }],
  ['SVG (its cost check reads the bytes)', () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><rect width="40" height="30"/></svg>'), { fromFile: false }],
  ['SVG over its cost budget', () => svgDeclaring(20000, 20000), { fromFile: false }],
  ['JPEG declaring 30000×30000 (a bomb)', () => jpegDeclaring(30000, 30000), { fromFile: false }],
  ['JPEG cut after its first 200 bytes', () => photo.subarray(0, 200), { fromFile: false }],
  ['a libvips matrix, which only a file name reaches', () => Buffer.from('2 2\n1 2\n3 4\n'), { fromFile: false }],
  ['text', () => Buffer.from('hello, I am text'), { fromFile: false }],
];

describe('inspectImage through an open file', () => {
  test.each(sources)('%s: the same facts or error as from its bytes', async (_name, make, { fromFile }) => {
    const bytes = await make();
    const expected = await outcome(inspectImage(bytes, DEFAULT_IMAGE_LIMITS));
    await asOpenFile(bytes, async (file) => {
      expect(await outcome(inspectImage(file, DEFAULT_IMAGE_LIMITS))).toEqual(expected);
      // Read from the file alone when its format allows; else (or on any failure) the bytes decide.
      expect(file.reads).toBe(fromFile ? 0 : 1);
    });
  });
});

describe('source-file helpers', () => {
  test('the formats read from a file are those loaded alike from a file and from bytes', () => {
    expect(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif', 'avif'].every(readsFromFile)).toBe(true);
    expect(['svg', 'pdf', 'vips', 'matrix', 'csv', 'magick', 'unknown'].some(readsFromFile)).toBe(false);
  });

  test('descriptorFolder: Linux\'s folder with the cache off; none when turned off or missing', () => {
    expect(descriptorFolder()).toBe(OPEN_DESCRIPTORS);
    expect(descriptorFolder(null)).toBeUndefined();
    expect(descriptorFolder(path.join(folder, 'no-such-folder'))).toBeUndefined();
  });

  test('sizeOf and bytesOf take bytes or a file alike', async () => {
    const bytes = Buffer.from('abc');
    expect(sizeOf(bytes)).toBe(3);
    expect(await bytesOf(bytes)).toBe(bytes);
    await asOpenFile(bytes, async (file) => {
      expect(sizeOf(file)).toBe(3);
      expect(await bytesOf(file)).toBe(bytes);
    });
  });
});

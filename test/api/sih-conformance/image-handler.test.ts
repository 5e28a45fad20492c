/**
 * SIH's image-handler unit tests (source/image-handler/test/image-handler/*.spec.ts and
 * test/index.spec.ts in aws-solutions/dynamic-image-transformation-for-amazon-cloudfront), carried
 * over as HTTP requests to the local server, with issue 14's findings from running SIH's code.
 */
import sharp from 'sharp';
import { detectImageType } from '../../../core/image-type.js';
import { defaultPath, expectAnswer, startSihServer, type Case, type SihServer } from './sih-server.js';

let server: SihServer;
beforeAll(async () => (server = await startSihServer()), 60_000);
afterAll(() => server.close());

const src = (edits: Record<string, unknown>, more: Record<string, unknown> = {}) => defaultPath({ key: 'src.jpg', edits, ...more });

const CASES: Case[] = [
  // resize.spec.ts
  { sih: 'resize.spec.ts › "Should pass if resize width and height are provided as string number"', path: src({ resize: { width: '99.1', height: '99.9' } }), expected: { format: 'jpeg', width: 99, height: 100 } },
  { sih: 'resize.spec.ts › "Should throw an error if image edits dimensions are invalid"', path: src({ resize: { width: 0, height: 0 } }), expected: { status: 400, code: 'InvalidResizeException' } },
  { sih: 'resize.spec.ts › "Should not throw an error if image edits dimensions contain null"', path: src({ resize: { width: 100, height: null } }), expected: { format: 'jpeg', width: 100, height: 75 } },
  // crop.spec.ts (issue 14, point 7: SIH's codes for crops sharp refuses)
  { sih: 'crop.spec.ts › "Should fail if a cropping area value is out of bounds"', path: src({ crop: { left: 0, top: 0, width: 1000, height: 1000 } }), expected: { status: 400, code: 'Crop::AreaOutOfBounds' } },
  { sih: 'crop.spec.ts › "Should pass with a standard crop"', path: src({ crop: { left: 0, top: 0, width: 1, height: 1 } }), expected: { format: 'jpeg', width: 1, height: 1 } },
  { sih: 'crop.spec.ts › "Should fail with an invalid crop request" (right instead of top)', path: src({ crop: { left: 0, right: 0, width: 1, height: 1 } }), expected: { status: 400, code: 'Crop::AreaOutOfBounds' } },
  { sih: 'crop.spec.ts › a negative left is sharp\'s refusal, SIH\'s crop error', path: src({ crop: { left: -10, top: 0, width: 10, height: 10 } }), expected: { status: 400, code: 'Crop::AreaOutOfBounds' } },
  // rotate.spec.ts
  { sih: 'rotate.spec.ts › "Should pass if rotate is null and return image without EXIF and ICC"', path: src({ rotate: null }), expected: { format: 'jpeg', width: 400, height: 300 } },
  // Issue 14, point 1: the edits apply in JSON order, as SIH's applyEdits hands them to sharp.
  { sih: 'image-handler applyEdits › edits in key order: rotate, then resize (100×133 from 400×300)', path: src({ rotate: 90, resize: { width: 100 } }), expected: { format: 'jpeg', width: 100, height: 133, like: (i) => i.rotate(90).resize({ width: 100 }) } },
  { sih: 'image-handler applyEdits › edits in key order: resize, then rotate', path: src({ resize: { width: 100 }, rotate: 90 }), expected: { format: 'jpeg', width: 75, height: 100, like: (i) => i.resize({ width: 100 }).rotate(90) } },
  { sih: 'image-handler applyEdits › edits in key order: extract, then resize', path: src({ extract: { left: 200, top: 100, width: 200, height: 200 }, resize: { width: 50 } }), expected: { format: 'jpeg', width: 50, height: 50, like: (i) => i.extract({ left: 200, top: 100, width: 200, height: 200 }).resize({ width: 50 }) } },
  { sih: 'image-handler applyEdits › edits in key order: crop, then resize', path: src({ crop: { left: 100, top: 0, width: 300, height: 300 }, resize: { width: 150 } }), expected: { format: 'jpeg', width: 150, height: 150 } },
  // format.spec.ts and issue 14, point 2
  { sih: 'format.spec.ts › output format webp', path: src({ grayscale: true }, { outputFormat: 'webp' }), expected: { format: 'webp', width: 400, height: 300 } },
  { sih: 'format.spec.ts › AVIF source, grayscale fit-in, answered as image/avif (issue 14, point 2)', path: '/fit-in/100x100/filters:grayscale()/src.avif', expected: { format: 'avif', width: 100, height: 75 } },
  // overlay.spec.ts and issue 14, point 5
  { sih: 'overlay.spec.ts › overlay with wRatio/hRatio and offsets', path: src({ overlayWith: { bucket: 'images', key: 'mark.png', wRatio: 50, hRatio: 50, alpha: 0, options: { left: '10p', top: -10 } } }), expected: { format: 'jpeg', width: 400, height: 300 } },
  { sih: 'overlay.spec.ts › a missing overlay object is OverlayImageException (issue 14, point 5)', path: src({ overlayWith: { bucket: 'images', key: 'missing.png' } }), expected: { status: 400, code: 'OverlayImageException' } },
  { sih: 'overlay.spec.ts › an overlay bucket not in SOURCE_BUCKETS', path: src({ overlayWith: { bucket: 'elsewhere', key: 'mark.png' } }), expected: { status: 403, code: 'ImageBucket::CannotAccessBucket' } },
  // round-crop.spec.ts, standard.spec.ts
  { sih: 'round-crop.spec.ts › roundCrop true: a centred circle, trimmed', path: src({ roundCrop: true }, { outputFormat: 'png' }), expected: { format: 'png', width: 300, height: 300 } },
  { sih: 'standard.spec.ts › grayscale, flip, flop', path: src({ grayscale: true, flip: true, flop: true }), expected: { format: 'jpeg', width: 400, height: 300, like: (i) => i.greyscale().flip().flop() } },
];

describe('SIH image-handler tests, over HTTP', () => {
  test.each(CASES)('$sih: $path', (c) => expectAnswer(server, c));

  test('format.spec.ts › every output format: the Content-Type names what the magic bytes say (issue 14, point 2)', async () => {
    for (const format of ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']) {
      const answer = await server.get(src({ resize: { width: 40 } }, { outputFormat: format }));
      expect({ format, status: answer.status }).toEqual({ format, status: 200 });
      expect({ format, contentType: answer.headers.get('content-type') }).toEqual({ format, contentType: `image/${detectImageType(answer.bytes)}` });
    }
    const avif = await server.get('/fit-in/100x100/filters:grayscale()/src.avif');
    expect(avif.bytes.subarray(4, 12).toString('latin1')).toBe('ftypavif');
  });

  test('rotate.spec.ts › "Should stack EXIF orientation with an explicit rotate edit" (🔁 shutter orients, then rotates)', async () => {
    const tagged = await sharp({ create: { width: 4, height: 2, channels: 3, background: '#f00' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    await server.app.platform.storage.put('images', 'exif-6.jpg', tagged, { contentType: 'image/jpeg' });
    const answer = await server.get(defaultPath({ key: 'exif-6.jpg', edits: { rotate: 90 } }));
    const metadata = await sharp(answer.bytes).metadata();
    expect({ width: metadata.width, height: metadata.height, orientation: metadata.orientation }).toEqual({ width: 4, height: 2, orientation: undefined });
  });
});

describe('SIH index.spec.ts: the default fallback image', () => {
  let fallback: SihServer;
  beforeAll(async () => {
    fallback = await startSihServer({ ENABLE_DEFAULT_FALLBACK_IMAGE: 'Yes', DEFAULT_FALLBACK_IMAGE_BUCKET: 'images', DEFAULT_FALLBACK_IMAGE_KEY: 'fallback.png' });
    // Stored without a Cache-Control of its own.
    await fallback.app.platform.storage.put('images', 'fallback.png', await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00f' } }).png().toBuffer(), { contentType: 'image/png' });
  }, 60_000);
  afterAll(() => fallback.close());

  test('the fallback is answered with the error\'s status and the Default request\'s headers["Cache-Control"] (issue 14, point 4)', async () => {
    const answer = await fallback.get(defaultPath({ key: 'missing.jpg', headers: { 'Cache-Control': 'max-age=5' } }));
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toBe('image/png');
    expect(answer.headers.get('cache-control')).toBe('max-age=5');
    expect((await sharp(answer.bytes).metadata()).width).toBe(8);
  });

  test('without one, the one-year default', async () => {
    const answer = await fallback.get('/missing.jpg');
    expect(answer.status).toBe(404);
    expect(answer.headers.get('cache-control')).toBe('max-age=31536000,public');
  });
});

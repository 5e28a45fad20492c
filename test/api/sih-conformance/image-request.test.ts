/**
 * SIH's image-request unit tests (source/image-handler/test/image-request/*.spec.ts in
 * aws-solutions/dynamic-image-transformation-for-amazon-cloudfront; image-request.spec.ts in
 * aws-solutions/serverless-image-handler): request type, bucket, key, output format and headers,
 * carried over as HTTP requests to the local server.
 */
import { defaultPath, expectAnswer, startSihServer, type Case, type SihServer } from './sih-server.js';

let server: SihServer;
beforeAll(async () => (server = await startSihServer()), 60_000);
afterAll(() => server.close());

const TYPE = 'image-request/parse-request-type (setup.spec.ts)';
const KEY = 'image-request/parse-image-key.spec.ts';
const SETUP = 'image-request/setup.spec.ts';

const CASES: Case[] = [
  { sih: `${TYPE} › a base64 JSON path is a Default request`, path: defaultPath({ bucket: 'images', key: 'src.jpg', edits: { grayscale: true } }), expected: { format: 'jpeg', width: 400, height: 300, like: (i) => i.greyscale() } },
  { sih: `${TYPE} › "/image" (no extension) is a Thumbor request`, path: '/image_without_extension', expected: { format: 'jpeg', width: 400, height: 300 } },
  { sih: `${TYPE} › "12x12e24d234r2ewxsad123d34r.bmp" is RequestTypeError`, path: '/12x12e24d234r2ewxsad123d34r.bmp', expected: { status: 400, code: 'RequestTypeError' } },
  { sih: `${TYPE} › matchThumbor3 lists no .heic (issue 14, point 8)`, path: '/missing.heic', expected: { status: 400, code: 'RequestTypeError' } },
  { sih: `${KEY} › "/10x10:100x100/filters:rotate(90)/filters:grayscale()/thumbor-image (1) suffix.jpg"`, path: '/10x10:100x100/filters:rotate(90)/filters:grayscale()/thumbor-image%20(1)%20suffix.jpg', expected: { format: 'jpeg', width: 90, height: 90 } },
  { sih: `${KEY} › "/fit-in/400x0/filters:fill(ffffff)/fit-in-thumbor-image (1) suffix.jpg"`, path: '/fit-in/200x0/filters:fill(ffffff)/fit-in-thumbor-image%20(1)%20suffix.jpg', expected: { format: 'jpeg', width: 200, height: 150 } },
  { sih: `${KEY} › "/100x100/test-100x100/test/beach-100x100.jpg"`, path: '/100x100/test-100x100/test/beach-100x100.jpg', expected: { format: 'jpeg', width: 100, height: 100 } },
  { sih: `${KEY} › "/filters:rotate(90)/s3:some-test-bucket/filters:grayscale()/…" (s3: names an allowed bucket)`, path: '/filters:rotate(90)/s3:images/filters:grayscale()/src.jpg', expected: { format: 'jpeg', width: 300, height: 400 } },
  { sih: `${SETUP} › Default request with a UTF-8 key ("中文")`, path: defaultPath({ key: '中文', edits: { grayscale: true }, outputFormat: 'jpeg' }), expected: { format: 'jpeg', width: 400, height: 300 } },
  { sih: `${SETUP} › "/filters:format(png)/filters:quality(50)/test-image-001.jpg" → image/png`, path: '/filters:format(png)/filters:quality(50)/test-image-001.jpg', expected: { format: 'png', width: 400, height: 300 } },
  { sih: `${SETUP} › "/filters:quality(50)/filters:format(jpeg)/image_without_extension"`, path: '/filters:quality(50)/filters:format(jpeg)/image_without_extension', expected: { format: 'jpeg', width: 400, height: 300 } },
  { sih: `${SETUP} › "/100x100/image.svg" → outputFormat png`, path: '/10x10/image.svg', expected: { format: 'png', width: 10, height: 10 } },
  { sih: `${SETUP} › "/filters:format(jpg)/image.svg" → toFormat jpeg`, path: '/filters:format(jpg)/image.svg', expected: { format: 'jpeg', width: 40, height: 20 } },
  { sih: `${SETUP} › Default request: outputFormat`, path: defaultPath({ key: 'src.jpg', edits: { grayscale: true }, outputFormat: 'webp' }), expected: { format: 'webp', width: 400, height: 300 } },
  { sih: `${SETUP} › Default request: edits.toFormat beats outputFormat`, path: defaultPath({ key: 'src.jpg', edits: { toFormat: 'png' }, outputFormat: 'webp' }), expected: { format: 'png', width: 400, height: 300 } },
  { sih: `${SETUP} › Default bucket not in SOURCE_BUCKETS → ImageBucket::CannotAccessBucket`, path: defaultPath({ bucket: 'allowedBucket001', key: 'src.jpg' }), expected: { status: 403, code: 'ImageBucket::CannotAccessBucket' } },
  { sih: `${SETUP} › getOriginalImage: missing object → NoSuchKey`, path: '/missing.jpg', expected: { status: 404, code: 'NoSuchKey' } },
  { sih: `${SETUP} › Default request without a key → S3 NoSuchKey (issue 14, point 6)`, path: defaultPath({ bucket: 'images' }), expected: { status: 404, code: 'NoSuchKey' } },
  { sih: `${SETUP} › Default request {} → S3 NoSuchKey (issue 14, point 6)`, path: defaultPath({}), expected: { status: 404, code: 'NoSuchKey' } },
];

describe('SIH image-request tests, over HTTP', () => {
  test.each(CASES)('$sih: $path', (c) => expectAnswer(server, c));

  test(`${SETUP} › custom headers of a Default request are answered; Content-Type is not theirs`, async () => {
    const answer = await server.get(defaultPath({ key: 'src.jpg', headers: { 'Cache-Control': 'max-age=300,public', 'Content-Type': 'text/html' }, outputFormat: 'jpeg' }));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('max-age=300,public');
    expect(answer.headers.get('content-type')).toBe('image/jpeg');
  });

  test(`${SETUP} › S3 metadata: CacheControl and LastModified become headers`, async () => {
    await server.app.platform.storage.put('images', 'cached.jpg', server.photo, { contentType: 'image/jpeg', cacheControl: 'max-age=300,public' });
    const answer = await server.get('/10x10/cached.jpg');
    expect(answer.headers.get('cache-control')).toBe('max-age=300,public');
    expect(answer.headers.get('last-modified')).toMatch(/GMT$/);
  });
});

import { decodeImageRequest, decodeRawRequest } from '../../../api/decode-request.js';
import { decodeDefault, tryDecodeDefault } from '../../../api/doors/default-door.js';

const config = { sourceBuckets: ['images', 'validbucket'], rewrite: undefined };
const encode = (value: unknown) => `/${Buffer.from(JSON.stringify(value)).toString('base64')}`;

describe('Default door (SIH vectors)', () => {
  test('bucket, key, edits and outputFormat', () => {
    const path = '/eyJidWNrZXQiOiJ2YWxpZEJ1Y2tldCIsImtleSI6InZhbGlkS2V5IiwiZWRpdHMiOnsiZ3JheXNjYWxlIjp0cnVlfSwib3V0cHV0Rm9ybWF0IjoianBlZyJ9';
    expect(decodeDefault(tryDecodeDefault(path), 'images')).toMatchObject({
      type: 'Default',
      bucket: 'validBucket',
      key: 'validKey',
      edits: { grayscale: true },
      output: { format: 'jpeg' },
    });
  });

  test('a UTF-8 key, without a leading slash', () => {
    const path = 'eyJidWNrZXQiOiJ2YWxpZEJ1Y2tldCIsImtleSI6IuS4reaWhyIsImVkaXRzIjp7ImdyYXlzY2FsZSI6dHJ1ZX0sIm91dHB1dEZvcm1hdCI6ImpwZWcifQ==';
    expect(decodeDefault(tryDecodeDefault(path), 'images').key).toBe('中文');
  });

  test('the bucket defaults to the first source bucket', () => {
    expect(decodeRawRequest(encode({ key: 'sample-image-001.jpg' }), config)).toMatchObject({ bucket: 'images', bucketExplicit: false });
  });

  test('toFormat beats outputFormat; per-format options and webp effort', () => {
    const raw = decodeRawRequest(encode({ key: 'a.jpg', outputFormat: 'png', effort: 9, edits: { toFormat: 'webp', webp: { quality: 40 } } }), config);
    expect(raw.output).toEqual({ format: 'webp', options: { webp: { quality: 40, effort: 4 } } });
  });

  test('request headers pass, except the ones SIH denies and the ones we compute', () => {
    const raw = decodeRawRequest(encode({ key: 'a.jpg', headers: { 'Cache-Control': 'max-age=60', 'Content-Type': 'text/html', 'X-Frame-Options': 'x', ETag: 'forged', 'X-Custom': 'ok' } }), config);
    expect(raw.headers).toEqual({ 'Cache-Control': 'max-age=60', 'X-Custom': 'ok' });
  });

  test('SIH resize normalisation: numeric strings rounded, non-positive sizes refused', () => {
    expect(decodeRawRequest(encode({ key: 'a.jpg', edits: { resize: { width: '100.6', height: 50.2 } } }), config).edits).toEqual({ resize: { width: 101, height: 50 } });
    expect(() => decodeRawRequest(encode({ key: 'a.jpg', edits: { resize: { width: 0 } } }), config)).toThrow(expect.objectContaining({ code: 'InvalidResizeException' }));
  });

  test('base64 that is not a JSON object is not the Default door', () => {
    expect(tryDecodeDefault('/aGVsbG8=')).toBeUndefined(); // "hello"
    expect(tryDecodeDefault('/W10=')).toBeUndefined(); // "[]"
    expect(tryDecodeDefault('/photo.jpg')).toBeUndefined();
  });

  test('a JSON request without a key is SIH\'s 404 NoSuchKey, after the bucket check', () => {
    const decode = (request: object) =>
      decodeImageRequest(encode(request), {}, { ...config, presetsOnly: false, origins: { allow: [], allowPrivate: false, timeoutMs: 1000 } }, {});
    expect(() => decode({ bucket: 'images' })).toThrow(expect.objectContaining({ status: 404, code: 'NoSuchKey' }));
    expect(() => decode({})).toThrow(expect.objectContaining({ status: 404, code: 'NoSuchKey' }));
    expect(() => decode({ key: 7 })).toThrow(expect.objectContaining({ status: 404, code: 'NoSuchKey' }));
    expect(() => decode({ bucket: 'secret' })).toThrow(expect.objectContaining({ status: 403, code: 'ImageBucket::CannotAccessBucket' }));
  });
});

describe('Custom door (SIH rewrite)', () => {
  test('REWRITE_MATCH_PATTERN /(filters-)/gm rewrites to Thumbor', () => {
    const rewrite = { pattern: /(filters-)/gm, substitution: 'filters:' };
    const raw = decodeRawRequest('/filters-rotate(90)/filters-grayscale()/custom-image.jpg', { ...config, rewrite });
    expect(raw).toMatchObject({ type: 'Custom', key: 'custom-image.jpg', edits: { rotate: 90, grayscale: true } });
  });
});

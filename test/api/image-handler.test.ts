import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { decodeImageRequest } from '../../api/decode-request.js';
import { sign } from '../../api/signature.js';
import { base64Path, createTestApp, writeSecret, type TestApp } from '../helpers/app.js';
import { imageInfo, makeImage, pixelDifference, samplePhoto } from '../helpers/images.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await t.platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'), { contentType: 'image/jpeg' });
  await t.platform.storage.put('images', 'folder/with space/café.png', await makeImage(64, 48, 'png'));
  await t.platform.storage.put('images', 'corrupt.jpg', Buffer.concat([samplePhoto('coffee').subarray(0, 2000)]));
  await t.platform.storage.put('images', 'not-an-image.jpg', Buffer.from('hello, I am text'));
});

describe('image handler: the three doors give the same image', () => {
  const expected = async () =>
    sharp(samplePhoto('astronaut')).resize(200, 100, { fit: 'cover' }).greyscale().jpeg().toBuffer();

  test.each([
    ['Thumbor', '/200x100/filters:grayscale()/astronaut.jpg'],
    ['Default', base64Path({ bucket: 'images', key: 'astronaut.jpg', edits: { resize: { width: 200, height: 100 }, grayscale: true } })],
    ['query', '/astronaut.jpg?width=200&height=100&fit=cover&grayscale=true'],
  ])('%s', async (_door, path) => {
    const response = await t.request(path);
    expect(response.status).toBe(200);
    expect(response.headers['Content-Type']).toBe('image/jpeg');
    expect(await imageInfo(response.bytes)).toMatchObject({ format: 'jpeg', width: 200, height: 100 });
    expect((await pixelDifference(response.bytes, await expected())).mean).toBeLessThan(3);
  });
});

describe('image handler: responses', () => {
  test('SIH headers, a strong ETag, and 304 on If-None-Match without rendering', async () => {
    const response = await t.request('/fit-in/100x100/astronaut.jpg');
    expect(response.status).toBe(200);
    expect(response.headers['Cache-Control']).toBe('max-age=31536000,public');
    expect(response.headers['Last-Modified']).toMatch(/GMT$/);
    expect(response.headers.ETag).toMatch(/^"[\w-]{32}"$/);
    expect(response.headers['Access-Control-Allow-Methods']).toBe('GET');
    const again = await t.request('/fit-in/100x100/astronaut.jpg', { headers: { 'if-none-match': response.headers.ETag! } });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect(again.headers.ETag).toBe(response.headers.ETag);
    const other = await t.request('/fit-in/101x100/astronaut.jpg');
    expect(other.headers.ETag).not.toBe(response.headers.ETag);
  });

  test('the ETag is the digest it has always been (validators a CDN keeps stay valid across releases)', async () => {
    const response = await t.request('/fit-in/100x100/astronaut.jpg');
    const { request } = decodeImageRequest('/fit-in/100x100/astronaut.jpg', {}, t.platform.config, t.platform.presets);
    const source = await t.platform.storage.head('images', 'astronaut.jpg');
    const sha = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 32);
    expect(response.headers.ETag).toBe(`"${sha(`${sha(JSON.stringify(['1', request, []]))}${source!.etag}`)}"`);
  });

  test('no edits: the stored bytes pass through untouched', async () => {
    const response = await t.request('/astronaut.jpg');
    expect(response.status).toBe(200);
    expect(response.bytes.equals(samplePhoto('astronaut'))).toBe(true);
  });

  test('keys with spaces and unicode, percent-encoded in a Thumbor path', async () => {
    const response = await t.request('/10x10/folder/with%20space/caf%C3%A9.png');
    expect(response.status).toBe(200);
    expect(await imageInfo(response.bytes)).toMatchObject({ format: 'png', width: 10, height: 10 });
  });

  test('AUTO_WEBP negotiates WebP from Accept and says Vary: Accept', async () => {
    const auto = await createTestApp({ AUTO_WEBP: 'Yes', AUTO_AVIF: 'Yes' });
    await auto.platform.storage.put('images', 'a.jpg', samplePhoto('coffee'));
    const webp = await auto.request('/100x0/a.jpg', { headers: { accept: 'image/webp,*/*' } });
    expect(webp.headers['Content-Type']).toBe('image/webp');
    expect(webp.headers.Vary).toBe('Accept');
    expect((await imageInfo(webp.bytes)).format).toBe('webp');
    const avif = await auto.request('/100x0/a.jpg', { headers: { accept: 'image/avif,image/webp,*/*' } });
    expect(avif.headers['Content-Type']).toBe('image/avif');
    const plain = await auto.request('/100x0/a.jpg', { headers: { accept: 'image/jpeg' } });
    expect(plain.headers['Content-Type']).toBe('image/jpeg');
    const explicit = await auto.request('/100x0/filters:format(png)/a.jpg', { headers: { accept: 'image/webp' } });
    expect(explicit.headers['Content-Type']).toBe('image/png');
    expect(explicit.headers.Vary).toBeUndefined();
  });

  test('an animated GIF keeps all its frames and is never negotiated to AVIF', async () => {
    // Three 40×40 frames (red, blue, red) as one tall strip, encoded as an animated GIF.
    const pixels = await sharp({ create: { width: 40, height: 120, channels: 4, background: '#f00' } })
      .composite([{ input: { create: { width: 40, height: 40, channels: 4, background: '#00f' } }, top: 40, left: 0 }])
      .raw()
      .toBuffer();
    const strip = await sharp(pixels, { raw: { width: 40, height: 120, channels: 4, pageHeight: 40 } })
      .gif({ delay: [100, 100, 100] })
      .toBuffer();
    expect(await imageInfo(strip)).toMatchObject({ format: 'gif', pages: 3 });
    const auto = await createTestApp({ AUTO_WEBP: 'Yes', AUTO_AVIF: 'Yes' });
    await auto.platform.storage.put('images', 'anim.gif', strip);
    const response = await auto.request('/20x20/anim.gif', { headers: { accept: 'image/avif,image/webp' } });
    expect(response.headers['Content-Type']).toBe('image/webp');
    expect(await imageInfo(response.bytes)).toMatchObject({ format: 'webp', width: 20, height: 20, pages: 3 });
  });

  test('HEAD is answered by the local server with headers and no body (router passes HEAD to images)', async () => {
    const response = await t.request('/50x50/astronaut.jpg', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers['Content-Type']).toBe('image/jpeg');
  });

  test('/meta describes the source', async () => {
    const response = await t.request('/meta/astronaut.jpg');
    expect(response.status).toBe(200);
    const meta = JSON.parse(response.bytes.toString());
    expect(meta).toMatchObject({ bucket: 'images', key: 'astronaut.jpg', width: 512, height: 512, format: 'jpeg', frames: 1 });
    expect(meta.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
    expect(Buffer.from(meta.thumbhash, 'base64').length).toBeGreaterThan(10);
  });

  test('/health', async () => {
    expect((await t.request('/health')).status).toBe(200);
  });
});

describe('image handler: errors have SIH statuses and codes', () => {
  test.each([
    ['/missing.jpg', 404, 'NoSuchKey'],
    ['/image.xml', 400, 'RequestTypeError'],
    ['/corrupt.jpg?width=10', 422, 'ImageSource::CorruptImage'],
    ['/not-an-image.jpg?width=10', 415, 'ImageSource::UnsupportedFormat'],
    ['/99999x10/astronaut.jpg', 400, 'ImageEdits::InvalidEdit'],
    ['/8000x8000/astronaut.jpg', 400, 'ImageEdits::OutputTooLarge'],
    ['/0x0:600x600/astronaut.jpg', 400, 'Crop::AreaOutOfBounds'],
    [base64Path({ key: 'astronaut.jpg', outputFormat: 'bmp' }), 400, 'UnsupportedOutputImageFormatException'],
    ['/astronaut.jpg?quality=0', 400, 'QueryParameterParsingError'],
    ['/astronaut.jpg?preset=nope', 400, 'Preset::NotFound'],
    ['/astronaut.jpg?expires=20200101T000000Z', 400, 'ImageRequestExpired'],
    ['/astronaut.jpg?expires=2020-01-01', 400, 'ImageRequestExpiryFormat'],
    [base64Path({ bucket: 'secret-bucket', key: 'x.jpg' }), 403, 'ImageBucket::CannotAccessBucket'],
    [base64Path({ key: 'astronaut.jpg', edits: { resize: { width: -5 } } }), 400, 'InvalidResizeException'],
    [base64Path({ key: 'astronaut.jpg', edits: { blur: 5000 } }), 400, 'ImageEdits::InvalidEdit'],
    [base64Path({ key: 'astronaut.jpg', edits: { contentModeration: true } }), 501, 'ContentModeration::NotAvailable'],
    [base64Path({ key: 'astronaut.jpg', edits: { overlayWith: { bucket: 'other', key: 'w.png' } } }), 403, 'ImageBucket::CannotAccessBucket'],
    [base64Path({ key: 'astronaut.jpg', edits: { overlayWith: { bucket: 'images', key: 'missing.png' } } }), 400, 'OverlayImageException'],
    [base64Path({ key: 'astronaut.jpg', edits: { tint: 'not-a-colour' } }), 400, 'ImageEdits::InvalidEdit'],
  ])('%s → %i %s', async (path, status, code) => {
    const response = await t.request(path);
    expect(response.status).toBe(status);
    expect(response.headers['Content-Type']).toBe('application/json');
    const body = JSON.parse(response.bytes.toString());
    expect(body).toEqual({ status, code, message: expect.any(String) });
  });

  test('unknown edits are ignored as SIH does, and named in a header', async () => {
    const response = await t.request(base64Path({ key: 'astronaut.jpg', edits: { resise: { width: 5 }, grayscale: true } }));
    expect(response.status).toBe(200);
    expect(response.headers['X-Shutter-Ignored-Edits']).toBe('resise');
  });

  test('a 5xx never leaks internals', async () => {
    const broken = await createTestApp({ ENABLE_SIGNATURE: 'Yes', SECRETS_MANAGER: 'missing', SECRET_KEY: 'k' });
    const response = await broken.request('/astronaut.jpg?signature=abc');
    expect(response.status).toBe(500);
    expect(JSON.parse(response.bytes.toString())).toEqual({
      status: 500,
      code: 'SignatureValidationFailure',
      message: 'Internal error. Please contact the system administrator.',
    });
  });

  test('the fallback image answers errors with the error status', async () => {
    const withFallback = await createTestApp({
      ENABLE_DEFAULT_FALLBACK_IMAGE: 'Yes',
      DEFAULT_FALLBACK_IMAGE_BUCKET: 'images',
      DEFAULT_FALLBACK_IMAGE_KEY: 'fallback.png',
    });
    await withFallback.platform.storage.put('images', 'fallback.png', await makeImage(8, 8, 'png'), { contentType: 'image/png' });
    const response = await withFallback.request('/missing.jpg');
    expect(response.status).toBe(404);
    expect(response.headers['Content-Type']).toBe('image/png');
    expect(await imageInfo(response.bytes)).toMatchObject({ width: 8, height: 8 });
  });
});

describe('image handler: signatures (SIH)', () => {
  const vectorPath = '/eyJidWNrZXQiOiJ2YWxpZEJ1Y2tldCIsImtleSI6InZhbGlkS2V5IiwiZWRpdHMiOnsidG9Gb3JtYXQiOiJwbmcifX0=';

  test('the SIH test vector', () => {
    expect(sign('secret', vectorPath)).toBe('4d41311006641a56de7bca8abdbda91af254506107a2c7b338a13ca2fa95eac3');
  });

  test('signed URLs pass; missing, wrong, tampered and case-changed signatures do not', async () => {
    const signed = await createTestApp({ ENABLE_SIGNATURE: 'Yes', SECRETS_MANAGER: 'shutter-signing', SECRET_KEY: 'signatureKey' });
    await writeSecret(signed.dataDir, 'shutter-signing', { signatureKey: 'secret' });
    await signed.platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'));
    const path = '/fit-in/50x50/astronaut.jpg';
    const good = sign('secret', path);
    expect((await signed.request(`${path}?signature=${good}`)).status).toBe(200);
    expect((await signed.request(path)).status).toBe(400);
    expect(JSON.parse((await signed.request(path)).bytes.toString()).code).toBe('AuthorizationQueryParametersError');
    const wrong = await signed.request(`${path}?signature=${'0'.repeat(64)}`);
    expect(wrong.status).toBe(403);
    expect(JSON.parse(wrong.bytes.toString()).code).toBe('SignatureDoesNotMatch');
    expect((await signed.request(`${path}?signature=${good.toUpperCase()}`)).status).toBe(403);
    // Replaying the signature with other parameters fails: SIH v7 signs the sorted query too.
    expect((await signed.request(`${path}?width=500&signature=${good}`)).status).toBe(403);
    const query = { expires: '20991231T235959Z', width: '20' };
    const withQuery = sign('secret', path, query);
    const ok = await signed.request(`${path}?expires=20991231T235959Z&width=20&signature=${withQuery}`);
    expect(ok.status).toBe(200);
    expect(ok.headers['Cache-Control']).toMatch(/^max-age=\d+,public$/);
  });
});

describe('image handler: presets', () => {
  test('a preset from every door', async () => {
    for (const path of ['/astronaut.jpg?preset=thumbnail', '/filters:preset(thumbnail)/astronaut.jpg', base64Path({ key: 'astronaut.jpg', preset: 'thumbnail' })]) {
      const response = await t.request(path);
      expect(response.status).toBe(200);
      expect(await imageInfo(response.bytes)).toMatchObject({ width: 150, height: 150 });
    }
  });

  test('presets-only mode refuses arbitrary edits', async () => {
    const guarded = await createTestApp({ PRESETS_ONLY: 'Yes' });
    await guarded.platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'));
    expect((await guarded.request('/astronaut.jpg?preset=small')).status).toBe(200);
    const refused = await guarded.request('/4000x4000/astronaut.jpg');
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.bytes.toString()).code).toBe('Preset::Required');
    expect((await guarded.request('/astronaut.jpg?preset=small&width=4000')).status).toBe(403);
  });
});

describe('image handler: CORS (SIH)', () => {
  test('CORS_ENABLED adds Access-Control-Allow-Origin to images and errors', async () => {
    const withCors = await createTestApp({ CORS_ENABLED: 'Yes', CORS_ORIGIN: 'https://shop.example' });
    await withCors.platform.storage.put('images', 'a.jpg', samplePhoto('coffee'));
    expect((await withCors.request('/10x10/a.jpg')).headers['Access-Control-Allow-Origin']).toBe('https://shop.example');
    expect((await withCors.request('/missing.jpg')).headers['Access-Control-Allow-Origin']).toBe('https://shop.example');
    expect((await t.request('/10x10/astronaut.jpg')).headers['Access-Control-Allow-Origin']).toBeUndefined();
  });
});

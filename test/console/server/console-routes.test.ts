/**
 * The console's own routes: its static files (with their security headers), server-side URL
 * signing that the image API accepts, and read access to the operator's buckets.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { HttpRequest } from '../../../api/http.js';
import { createTestApp, writeSecret, type TestApp } from '../../helpers/app.js';
import { imageInfo, samplePhoto } from '../../helpers/images.js';

const local = { host: 'localhost' };
const json = (value: unknown): Partial<HttpRequest> => ({ method: 'POST', headers: { ...local, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(value)) });
const body = (response: { bytes: Buffer }) => JSON.parse(response.bytes.toString('utf8')) as Record<string, unknown>;

async function consoleDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shutter-console-'));
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(path.join(dir, 'assets', 'app-ABCDEF23.js'), 'console.log(1)');
  return dir;
}

describe('console static files', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ CONSOLE_DIR: await consoleDir() });
  });

  test('/console redirects to /console/, which is the page with a strict CSP', async () => {
    expect((await t.request('/console')).headers.Location).toBe('/console/');
    const page = await t.request('/console/');
    expect(page.status).toBe(200);
    expect(page.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(page.headers['Cache-Control']).toBe('no-cache');
    const csp = page.headers['Content-Security-Policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers).toMatchObject({ 'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
  });

  test('hashed assets are cached for a year; a revalidation answers 304', async () => {
    const asset = await t.request('/console/assets/app-ABCDEF23.js');
    expect(asset.headers['Cache-Control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['Content-Type']).toBe('text/javascript; charset=utf-8');
    const again = await t.request('/console/assets/app-ABCDEF23.js', { headers: { 'if-none-match': asset.headers.ETag! } });
    expect(again.status).toBe(304);
  });

  test('nothing outside the built folder is reachable', async () => {
    for (const probe of ['/console/../package.json', '/console/%2e%2e/package.json', '/console/assets/../../README.md', '/console/nope.js']) {
      const response = await t.request(probe);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.bytes.toString()).not.toMatch(/"name": "shutter"|# shutter/);
    }
  });

  test('an unbuilt console says how to build it', async () => {
    const app = await createTestApp({ CONSOLE_DIR: path.join(tmpdir(), 'no-such-console-dir') });
    const response = await app.request('/console/');
    expect(response.status).toBe(404);
    expect(body(response)).toMatchObject({ code: 'Console::NotBuilt', message: expect.stringContaining('npm run build') });
    // The folder is the machine's business: no host path in the answer.
    expect(response.bytes.toString()).not.toContain('no-such-console-dir');
    expect(response.bytes.toString()).not.toContain(tmpdir());
  });
});

describe('POST /api/sign', () => {
  test('with signatures off it echoes the URL unsigned', async () => {
    const t = await createTestApp();
    const response = await t.request('/api/sign', json({ path: '/fit-in/100x100/a.jpg', query: { format: 'webp' } }));
    expect(body(response)).toEqual({ signed: false, path: '/fit-in/100x100/a.jpg', query: { format: 'webp' }, url: '/fit-in/100x100/a.jpg?format=webp' });
  });

  test('with signatures on, the signed URL is one the image API accepts', async () => {
    const t = await createTestApp({ ENABLE_SIGNATURE: 'Yes', SECRETS_MANAGER: 'signing', SECRET_KEY: 'signatureKey' });
    await writeSecret(t.dataDir, 'signing', { signatureKey: 'the-secret' });
    await t.platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'));
    expect((await t.request('/fit-in/100x100/astronaut.jpg?format=webp')).status).toBe(400);

    const response = await t.request('/api/sign', json({ path: '/fit-in/100x100/astronaut.jpg', query: { format: 'webp', signature: 'stale' } }));
    const signed = body(response) as { signed: boolean; url: string; query: Record<string, string> };
    expect(signed.signed).toBe(true);
    expect(signed.query.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(response.bytes.toString()).not.toContain('the-secret');
    const image = await t.request(signed.url);
    expect(image.status).toBe(200);
    expect(await imageInfo(image.bytes)).toMatchObject({ format: 'webp', width: 100 });
  });

  test('a malformed request is a 400 with a stable code', async () => {
    const t = await createTestApp();
    expect(body(await t.request('/api/sign', json({ path: 'no-slash' }))).code).toBe('Sign::InvalidRequest');
    const notJson = await t.request('/api/sign', { method: 'POST', headers: { ...local, 'content-type': 'text/plain' }, body: Buffer.from('x') });
    expect(notJson.status).toBe(415);
  });
});

describe('bucket routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    await t.platform.storage.put('images', 'cats/chelsea.jpg', samplePhoto('chelsea'), { contentType: 'image/jpeg' });
    await t.platform.storage.put('renditions', 'cats/chelsea.jpg/manifest.json', Buffer.from('{"version":1}'), { contentType: 'application/json' });
  });

  test('lists a source bucket by prefix', async () => {
    const response = await t.request('/api/buckets/images/objects?prefix=cats/', { headers: local });
    expect(body(response)).toMatchObject({ bucket: 'images', objects: [{ key: 'cats/chelsea.jpg', size: expect.any(Number), etag: expect.any(String) }] });
  });

  test('reads an object as stored, and a preview of an image no larger than asked', async () => {
    const manifest = await t.request('/api/buckets/renditions/objects/cats%2Fchelsea.jpg/manifest.json', { headers: local });
    expect(manifest.status).toBe(200);
    expect(manifest.bytes.toString()).toBe('{"version":1}');
    const preview = await t.request('/api/buckets/images/previews/cats/chelsea.jpg?width=200', { headers: local });
    expect(preview.headers['Content-Type']).toBe('image/webp');
    expect(await imageInfo(preview.bytes)).toMatchObject({ format: 'webp', width: 200 });
  });

  test('a prefix that climbs out of the bucket is refused before any listing, and no host path is answered', async () => {
    for (const prefix of ['../../../../../etc/pass', '/etc/pass', 'cats/../../', 'cats//x']) {
      const response = await t.request(`/api/buckets/images/objects?prefix=${encodeURIComponent(prefix)}&limit=1`, { headers: local });
      expect(response.status).toBe(400);
      expect(body(response)).toMatchObject({ code: 'Storage::InvalidPrefix' });
      expect(response.bytes.toString()).not.toMatch(/passwd|\/etc\/|shutter-app-/);
    }
  });

  test('malformed percent-escapes in a bucket, key or workflow name are a 400 with a stable code', async () => {
    for (const path of ['/api/buckets/images/objects/%E0%A4%A', '/api/buckets/%/objects', '/api/buckets/images/previews/a%zz.jpg', '/api/workflows/%ff%/definition']) {
      const response = await t.request(path, { headers: local });
      expect({ path, status: response.status, code: body(response).code }).toEqual({ path, status: 400, code: 'Request::InvalidEncoding' });
    }
  });

  test('an object is streamed as stored, its type from its bytes, its length declared', async () => {
    const response = await t.request('/api/buckets/images/objects/cats%2Fchelsea.jpg', { headers: local });
    expect(response.body).toBeInstanceOf(Readable);
    expect(response.headers).toMatchObject({ 'Content-Type': 'image/jpeg', 'Content-Length': String(samplePhoto('chelsea').length) });
    expect(response.bytes.equals(samplePhoto('chelsea'))).toBe(true);
  });

  test('other buckets and missing objects are refused with stable codes', async () => {
    expect(body(await t.request('/api/buckets/secrets/objects', { headers: local })).code).toBe('Console::BucketNotAllowed');
    const missing = await t.request('/api/buckets/images/objects/nope.jpg', { headers: local });
    expect(missing.status).toBe(404);
  });
});

/**
 * Remote origins through every door, end to end in the handler: a real HTTPS origin on 127.0.0.1
 * (a CA only this test trusts), reached as `origin.test` through the injected resolver.
 */
import path from 'node:path';
import { HttpsOriginStorage } from '../../core/adapters/https/https-origin-storage.js';
import { FsStorage } from '../../core/adapters/local/fs-storage.js';
import { OriginRoutedStorage } from '../../core/adapters/origin-routed-storage.js';
import { sign } from '../../api/signature.js';
import { base64Path, createTestApp, writeSecret, type TestApp } from '../helpers/app.js';
import { imageInfo, makeImage } from '../helpers/images.js';
import { makeTlsMaterial, serve, startTlsOrigin, type TlsMaterial, type TlsOrigin } from '../helpers/tls-origin.js';

let material: TlsMaterial;
let origin: TlsOrigin;
let base: string;

beforeAll(async () => {
  material = makeTlsMaterial();
  origin = await startTlsOrigin(material);
  base = `https://origin.test:${origin.port}`;
  origin.routes.set('/photos/a.png', serve(await makeImage(400, 300, 'png'), { etag: '"v1"' }));
  origin.routes.set('/photos/b?v=2', serve(await makeImage(200, 100, 'png'), { etag: '"v2"' }));
});

afterAll(() => origin.close());

function appWith(env: Record<string, string> = {}): Promise<TestApp> {
  const remote = new HttpsOriginStorage({
    timeoutMs: 5_000,
    maxBytes: 10_000_000,
    allowPrivate: true,
    tls: { ca: material.ca },
    resolve: async () => [{ address: '127.0.0.1', family: 4 }],
  });
  // What createStorage builds, but trusting the test's CA.
  return createTestApp({ SOURCE_URLS: base, ALLOW_PRIVATE_ORIGINS: 'Yes', ...env }, (dataDir) => ({
    storage: new OriginRoutedStorage(new FsStorage(path.join(dataDir, 'buckets')), remote),
  }));
}

describe('remote origins', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await appWith();
  });

  it("hands a bucket's source as its open file and a remote origin's as its bytes (withFile)", async () => {
    const storage = app.platform.storage;
    await storage.put('images', 'local.png', await makeImage(40, 30, 'png'));
    const form = (object: object) => ('fd' in object ? 'open file' : 'body' in object ? 'bytes' : 'neither');
    expect(await storage.withFile!('images', 'local.png', {}, async (object) => form(object))).toBe('open file');
    expect(await storage.withFile!(base, '/photos/a.png', {}, async (object) => form(object))).toBe('bytes');
  });

  it('serves a Thumbor path whose key is an absolute URL, with one slash or two', async () => {
    for (const url of [`/fit-in/100x100/${base}/photos/a.png`, `/fit-in/100x100/${base.replace('//', '/')}/photos/a.png`]) {
      const response = await app.request(url);
      expect(response.status).toBe(200);
      expect(await imageInfo(response.bytes)).toMatchObject({ format: 'png', width: 100, height: 75 });
    }
  });

  it('serves the Default door, by key URL or by origin as bucket', async () => {
    for (const request of [
      { key: `${base}/photos/a.png`, edits: { resize: { width: 40 } }, outputFormat: 'webp' },
      { bucket: base, key: '/photos/a.png', edits: { resize: { width: 40 } }, outputFormat: 'webp' },
    ]) {
      const response = await app.request(base64Path(request));
      expect(response.status).toBe(200);
      expect(response.headers['Content-Type']).toBe('image/webp');
      expect(await imageInfo(response.bytes)).toMatchObject({ format: 'webp', width: 40, height: 30 });
    }
  });

  it('applies query parameters to a remote image, and keeps the remote URL’s own query apart', async () => {
    const response = await app.request(`/${base}/photos/a.png?width=50&format=jpeg`);
    expect(response.status).toBe(200);
    expect(await imageInfo(response.bytes)).toMatchObject({ format: 'jpeg', width: 50 });
    const versioned = await app.request(`/${encodeURIComponent(`${base}/photos/b?v=2`)}`);
    expect(versioned.status).toBe(200);
    expect(await imageInfo(versioned.bytes)).toMatchObject({ width: 200, height: 100 });
  });

  it('derives the ETag from the origin’s version and answers 304 to a matching If-None-Match', async () => {
    const first = await app.request(`/fit-in/60x60/${base}/photos/a.png`);
    expect(first.headers.ETag).toMatch(/^".+"$/);
    const again = await app.request(`/fit-in/60x60/${base}/photos/a.png`, { headers: { 'if-none-match': first.headers.ETag! } });
    expect(again.status).toBe(304);
  });

  it('refuses an origin that is not on SOURCE_URLS, without asking it', async () => {
    const before = origin.hits.length;
    for (const url of [`/fit-in/10x10/https://other.test:${origin.port}/photos/a.png`, `/fit-in/10x10/http://origin.test:${origin.port}/photos/a.png`]) {
      const response = await app.request(url);
      expect(response.status).toBe(403);
      expect(JSON.parse(response.bytes.toString())).toMatchObject({ code: 'Origin::NotAllowed' });
    }
    expect(origin.hits.length).toBe(before);
  });

  it('maps a missing remote image to 404 and an unreachable origin to 502 with Retry-After', async () => {
    const missing = await app.request(`/${base}/photos/none.png`);
    expect(missing.status).toBe(404);
    const closed = await appWith({ SOURCE_URLS: 'https://origin.test:1' });
    const unreachable = await closed.request('/https://origin.test:1/photos/a.png');
    expect(unreachable.status).toBe(502);
    expect(unreachable.headers['Retry-After']).toBeDefined();
    expect(JSON.parse(unreachable.bytes.toString())).toMatchObject({ code: 'Origin::Unreachable' });
  });

  it('never reads a file: or gopher: URL (they are keys in the default bucket, and there are none)', async () => {
    for (const url of ['/fit-in/10x10/file:///etc/passwd', '/fit-in/10x10/gopher://origin.test/1.png', '/file:/etc/hostname']) {
      const response = await app.request(url);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.bytes.toString()).not.toMatch(/root:|localhost/);
    }
  });

  it('refuses absolute URLs when SOURCE_URLS names no origin', async () => {
    const plain = await createTestApp();
    const response = await plain.request(`/fit-in/10x10/${base}/photos/a.png`);
    expect(response.status).toBe(403);
    expect(JSON.parse(response.bytes.toString())).toMatchObject({ code: 'Origin::NotAllowed' });
  });

  it('signs the remote URL with the path: another host under the same signature is refused', async () => {
    const signed = await appWith({ ENABLE_SIGNATURE: 'Yes', SECRETS_MANAGER: 'signing', SECRET_KEY: 'key' });
    await writeSecret(signed.dataDir, 'signing', { key: 'secret' });
    const good = `/fit-in/30x30/${base}/photos/a.png`;
    const signature = sign('secret', good);
    expect((await signed.request(`${good}?signature=${signature}`)).status).toBe(200);
    const forged = await signed.request(`/fit-in/30x30/${base}/photos/a.png?v=2&signature=${signature}`);
    expect(forged.status).toBe(403);
  });
});

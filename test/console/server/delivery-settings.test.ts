/**
 * Delivery settings end to end in the app: the CRUD API (validation, references, ETags and
 * If-Match, built-in policies, audit events) and what the image handler does with them (host and
 * path mappings to origins, policies with conditions, the cache's refresh).
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createApp, type App } from '../../../console/server/app.js';
import type { HttpRequest } from '../../../api/http.js';
import { settingsRoutes } from '../../../console/server/settings-routes.js';
import { createPlatform, type Platform } from '../../../core/compose.js';
import { loadConfig } from '../../../core/config.js';
import { findMapping, resolvePolicy } from '../../../core/resolve-delivery.js';
import { imageInfo, makeImage } from '../../helpers/images.js';
import { MemoryEventSink } from '../../helpers/memory-event-sink.js';

interface Harness {
  app: App;
  platform: Platform;
  events: MemoryEventSink;
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, read as a test reads them
  json: any;
  bytes: Buffer;
}

async function harness(env: Record<string, string> = {}): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-settings-app-'));
  await mkdir(path.join(dataDir, 'buckets', 'images'), { recursive: true });
  const events = new MemoryEventSink();
  const config = loadConfig({ SHUTTER_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ANALYZER: 'attention', SETTINGS_CACHE_SECONDS: '0', ...env });
  const platform = createPlatform(config, { events });
  const app = createApp(platform, settingsRoutes({ store: platform.settings!, events, presets: platform.presets }));
  app.ready = true;
  return {
    app,
    platform,
    events,
    async call(method, url, body, headers = {}) {
      const [pathPart = '/', search = ''] = url.split('?', 2);
      const request: HttpRequest = {
        method,
        path: pathPart,
        query: Object.fromEntries(new URLSearchParams(search)),
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: Buffer.from(JSON.stringify(body)) } : {}),
      };
      const response = await app.handle(request);
      const answered = response.body;
      const bytes = answered instanceof Readable ? Buffer.concat(await answered.toArray()) : Buffer.isBuffer(answered) ? answered : Buffer.from(typeof answered === 'string' ? answered : '');
      const isJson = (response.headers['Content-Type'] ?? '').startsWith('application/json');
      return { status: response.status, headers: response.headers, json: isJson && bytes.length ? JSON.parse(bytes.toString()) : undefined, bytes };
    },
  };
}

describe('settings, as pure functions', () => {
  it('picks the most specific mapping: host and prefix, then host, then prefix; exact host over wildcard; longer prefix', () => {
    const mappings: Array<{ name: string; value: { host?: string; pathPrefix?: string } }> = [
      { name: 'prefix', value: { pathPrefix: '/shop' } },
      { name: 'long-prefix', value: { pathPrefix: '/shop/sale' } },
      { name: 'wild', value: { host: '*.example.com' } },
      { name: 'exact', value: { host: 'img.example.com' } },
      { name: 'both', value: { host: 'img.example.com', pathPrefix: '/shop' } },
    ];
    expect(findMapping(mappings, 'img.example.com:443', '/shop/a.jpg')?.name).toBe('both');
    expect(findMapping(mappings, 'IMG.example.com', '/a.jpg')?.name).toBe('exact');
    expect(findMapping(mappings, 'cdn.example.com', '/shop/a.jpg')?.name).toBe('wild');
    expect(findMapping(mappings, 'other.org', '/shop/sale/a.jpg')?.name).toBe('long-prefix');
    expect(findMapping(mappings, 'other.org', '/shopping/a.jpg')).toBeUndefined();
    expect(findMapping(mappings, 'example.com', '/a.jpg')).toBeUndefined();
  });

  it('refines a policy by its first rule whose conditions hold', () => {
    const policy = {
      output: { quality: 80 },
      rules: [
        { when: { accepts: ['avif' as const], minDpr: 2 }, output: { format: 'avif' as const, quality: 50 } },
        { when: { maxViewportWidth: 480 }, edits: { resize: { width: 480 } } },
        { when: { query: { hd: '1' } }, output: { quality: 95 } },
      ],
    };
    expect(resolvePolicy(policy, { accepts: ['avif', 'webp'], dpr: 3, query: {} })).toEqual({ edits: {}, output: { format: 'avif', quality: 50 } });
    expect(resolvePolicy(policy, { accepts: ['avif'], dpr: 1, viewportWidth: 390, query: {} })).toEqual({ edits: { resize: { width: 480 } }, output: { quality: 80 } });
    expect(resolvePolicy(policy, { accepts: [], query: { hd: '1' } })).toEqual({ edits: {}, output: { quality: 95 } });
    expect(resolvePolicy(policy, { accepts: [], query: {} })).toEqual({ edits: {}, output: { quality: 80 } });
  });
});

describe('the settings API', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });

  it('creates, reads with an ETag, updates only the version it read, and deletes, auditing each change', async () => {
    const created = await h.call('PUT', '/api/origins/photos', { type: 's3', bucket: 'photos' }, { 'if-none-match': '*' });
    expect(created.status).toBe(201);
    expect(created.headers.ETag).toBe('"1"');
    expect((await h.call('PUT', '/api/origins/photos', { type: 's3', bucket: 'photos' }, { 'if-none-match': '*' })).json).toMatchObject({ code: 'Settings::VersionMismatch' });
    const read = await h.call('GET', '/api/origins/photos');
    expect(read.json).toMatchObject({ name: 'photos', value: { type: 's3', bucket: 'photos' }, version: 1 });
    const updated = await h.call('PUT', '/api/origins/photos', { type: 's3', bucket: 'photos-eu' }, { 'if-match': read.headers.ETag! });
    expect(updated.status).toBe(200);
    const stale = await h.call('PUT', '/api/origins/photos', { type: 's3', bucket: 'photos-us' }, { 'if-match': read.headers.ETag! });
    expect(stale.status).toBe(412);
    expect((await h.call('GET', '/api/origins')).json.items).toEqual([expect.objectContaining({ name: 'photos', value: { type: 's3', bucket: 'photos-eu' }, version: 2 })]);
    expect((await h.call('DELETE', '/api/origins/photos', undefined, { 'if-match': '"1"' })).status).toBe(412);
    expect((await h.call('DELETE', '/api/origins/photos', undefined, { 'if-match': '"2"' })).status).toBe(204);
    expect((await h.call('GET', '/api/origins/photos')).status).toBe(404);
    expect(h.events.ofType('settings.changed').map((event) => event.data)).toEqual([
      // `local`: the operator the console's authentication names on a loopback-only server.
      { kind: 'origins', name: 'photos', change: 'created', version: 1, by: 'local' },
      { kind: 'origins', name: 'photos', change: 'updated', version: 2, by: 'local' },
      { kind: 'origins', name: 'photos', change: 'deleted', version: 2, by: 'local' },
    ]);
  });

  it('validates values with every problem named, and names with a stable code', async () => {
    const invalid = await h.call('PUT', '/api/policies/web', { edits: { resize: { width: -3 } }, output: { format: 'bmp' }, extra: 1 });
    expect(invalid.status).toBe(400);
    expect(invalid.json.code).toBe('Settings::Invalid');
    expect(invalid.json.message).toMatch(/edits\.resize\.width/);
    expect(invalid.json.message).toMatch(/output\.format/);
    expect((await h.call('PUT', '/api/origins/x', { type: 'https', baseUrl: 'file:///etc/passwd' })).json.code).toBe('Settings::Invalid');
    expect((await h.call('PUT', '/api/origins/Bad%20Name', { type: 's3', bucket: 'photos' })).json.code).toBe('Settings::InvalidName');
    expect((await h.call('PUT', '/api/origins/%E0%A4%A', { type: 's3', bucket: 'photos' })).status).toBe(400);
    expect((await h.call('PUT', '/api/mappings/m', { origin: 'photos' })).json.code).toBe('Settings::Invalid');
  });

  it('keeps references whole: unknown origins and policies are refused, used ones cannot go', async () => {
    expect((await h.call('PUT', '/api/mappings/shop', { pathPrefix: '/shop', origin: 'nope' })).json).toMatchObject({ code: 'Settings::UnknownReference' });
    await h.call('PUT', '/api/origins/photos', { type: 's3', bucket: 'photos' });
    expect((await h.call('PUT', '/api/mappings/shop', { pathPrefix: '/shop', origin: 'photos', policy: 'nope' })).json.code).toBe('Settings::UnknownReference');
    expect((await h.call('PUT', '/api/mappings/shop', { pathPrefix: '/shop', origin: 'photos', policy: 'thumbnail' })).status).toBe(201);
    const inUse = await h.call('DELETE', '/api/origins/photos');
    expect(inUse.status).toBe(409);
    expect(inUse.json.code).toBe('Settings::InUse');
  });

  it('lists the built-in presets as read-only policies', async () => {
    const list = await h.call('GET', '/api/policies');
    expect(list.json.items).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'thumbnail', builtIn: true })]));
    expect((await h.call('PUT', '/api/policies/thumbnail', { output: { quality: 10 } })).json).toMatchObject({ code: 'Settings::BuiltIn' });
  });
});

describe('the image handler with settings', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ SOURCE_BUCKETS: 'images,shop-images' });
    await h.platform.storage.put('images', 'cat.png', await makeImage(400, 200, 'png', '#ff0000'));
    await h.platform.storage.put('shop-images', 'cat.png', await makeImage(300, 300, 'png', '#00ff00'));
    await h.call('PUT', '/api/origins/shop', { type: 's3', bucket: 'shop-images' });
    await h.call('PUT', '/api/policies/card', {
      edits: { resize: { width: 100 } },
      output: { format: 'jpeg' },
      rules: [{ when: { accepts: ['webp'] }, output: { format: 'webp' } }],
    });
    await h.call('PUT', '/api/mappings/shop-host', { host: 'shop.example.com', origin: 'shop', policy: 'card' });
    await h.call('PUT', '/api/mappings/shop-path', { pathPrefix: '/shop', origin: 'shop' });
  });

  it('routes a host to its origin and applies its policy when the URL names none', async () => {
    const response = await h.call('GET', '/cat.png', undefined, { host: 'shop.example.com' });
    expect(response.status).toBe(200);
    expect(await imageInfo(response.bytes)).toMatchObject({ format: 'jpeg', width: 100, height: 100 });
    const plain = await h.call('GET', '/cat.png', undefined, { host: 'localhost:8080' });
    expect(await imageInfo(plain.bytes)).toMatchObject({ format: 'png', width: 400, height: 200 });
  });

  it('routes a path prefix, removing it before the doors decode the rest', async () => {
    const response = await h.call('GET', '/shop/fit-in/50x50/cat.png');
    expect(await imageInfo(response.bytes)).toMatchObject({ width: 50, height: 50 });
  });

  it('applies a stored policy’s rule by the request’s Accept, and varies on it', async () => {
    const webp = await h.call('GET', '/cat.png?preset=card', undefined, { accept: 'image/webp,*/*' });
    expect(await imageInfo(webp.bytes)).toMatchObject({ format: 'webp', width: 100 });
    expect(webp.headers.Vary).toContain('Accept');
    const jpeg = await h.call('GET', '/cat.png?preset=card');
    expect(await imageInfo(jpeg.bytes)).toMatchObject({ format: 'jpeg', width: 100 });
  });

  it('sees a changed policy once its cache expires (here at once)', async () => {
    const before = await h.call('GET', '/geo/cat.png?preset=banner');
    expect(before.status).toBe(400);
    await h.call('PUT', '/api/policies/banner', { edits: { resize: { width: 40 } } });
    const after = await h.call('GET', '/cat.png?preset=banner');
    expect(await imageInfo(after.bytes)).toMatchObject({ width: 40 });
  });
});

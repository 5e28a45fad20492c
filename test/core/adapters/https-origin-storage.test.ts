/**
 * The HTTPS origin adapter against a real TLS server on 127.0.0.1 whose CA only this test trusts.
 * `origin.test` is no real name: the injected resolver answers it, so a fetch that succeeds proves
 * the connection went to the address checked (a second, system lookup would fail).
 */
import { HttpsOriginStorage, type HttpsOriginOptions } from '../../../core/adapters/https/https-origin-storage.js';
import { makeImage } from '../../helpers/images.js';
import { makeTlsMaterial, serve, startTlsOrigin, type TlsMaterial, type TlsOrigin } from '../../helpers/tls-origin.js';

let material: TlsMaterial;
let origin: TlsOrigin;
let png: Buffer;

beforeAll(async () => {
  material = makeTlsMaterial();
  origin = await startTlsOrigin(material);
  png = await makeImage(40, 30, 'png');
  origin.routes.set('/a.png', serve(png, { etag: '"v1"', 'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT', 'content-type': 'text/html', 'cache-control': 'max-age=60' }));
  origin.routes.set('/bare.png', serve(png));
  origin.routes.set('/page.html', serve('<html><script>alert(1)</script></html>', { 'content-type': 'image/png' }));
  origin.routes.set('/moved', serve('', { location: '/a.png' }, 302));
  origin.routes.set('/away', serve('', { location: 'http://169.254.169.254/latest/meta-data/' }, 302));
  origin.routes.set('/loop', serve('', { location: '/loop' }, 302));
  origin.routes.set('/big', serve(Buffer.alloc(4096, 1)));
  origin.routes.set('/big-chunked', (_request, response) => {
    response.writeHead(200); // no content-length: the limit must hold while streaming
    for (let i = 0; i < 8; i++) response.write(Buffer.alloc(1024, 2));
    response.end();
  });
  origin.routes.set('/slow', (_request, response) => {
    response.writeHead(200, { 'content-length': '100' });
    response.write('x'); // and never the rest
  });
  origin.routes.set('/broken', serve('oops', {}, 500));
  origin.routes.set('/private', serve('no', {}, 403));
});

afterAll(() => origin.close());

function storage(options: Partial<HttpsOriginOptions> = {}, resolveTo = '127.0.0.1') {
  const lookups: string[] = [];
  const adapter = new HttpsOriginStorage({
    timeoutMs: 3_000,
    maxBytes: 1_000_000,
    allowPrivate: true,
    tls: { ca: material.ca },
    resolve: async (host) => {
      lookups.push(host);
      return [{ address: resolveTo, family: 4 }];
    },
    ...options,
  });
  return { adapter, lookups, base: `https://origin.test:${origin.port}` };
}

describe('HttpsOriginStorage', () => {
  it('fetches over TLS from the address it resolved once, sniffing the type and keeping the validators', async () => {
    const { adapter, lookups, base } = storage();
    const object = await adapter.get(base, '/a.png');
    expect(object.body.equals(png)).toBe(true);
    expect(object.contentType).toBe('image/png'); // the origin said text/html: never trusted
    expect(object.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(object.cacheControl).toBe('max-age=60');
    expect(object.lastModified.toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(lookups).toEqual(['origin.test']);
  });

  it('gives the same version from HEAD as from GET, and from the bytes when the origin has no validator', async () => {
    const { adapter, base } = storage();
    expect((await adapter.head(base, '/a.png'))?.etag).toBe((await adapter.get(base, '/a.png')).etag);
    const bare = await adapter.get(base, '/bare.png');
    expect((await adapter.head(base, '/bare.png'))?.etag).toBe(bare.etag);
    expect(await adapter.head(base, '/missing.png')).toBeUndefined();
  });

  it('does not trust a certificate its CA store does not vouch for', async () => {
    const { adapter, base } = storage({ tls: {} });
    await expect(adapter.get(base, '/a.png')).rejects.toMatchObject({ code: 'Origin::Unreachable', status: 502 });
  });

  it('refuses loopback, private and metadata addresses unless private origins are allowed', async () => {
    for (const address of ['127.0.0.1', '10.0.0.7', '169.254.169.254']) {
      const { adapter, base } = storage({ allowPrivate: false }, address);
      await expect(adapter.get(base, '/a.png')).rejects.toMatchObject({ code: 'Origin::NotAllowed', status: 403 });
    }
    expect(origin.hits.filter((hit) => hit === '/never')).toEqual([]);
  });

  it('refuses a host whose answers mix a public and a private address (no choice left to a later lookup)', async () => {
    const adapter = new HttpsOriginStorage({
      timeoutMs: 3_000,
      maxBytes: 1_000,
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
    });
    await expect(adapter.get('https://mixed.test', '/a.png')).rejects.toMatchObject({ code: 'Origin::NotAllowed' });
  });

  it('follows a redirect within the origin, never to another one, and not forever', async () => {
    const { adapter, base } = storage();
    expect((await adapter.get(base, '/moved')).body.equals(png)).toBe(true);
    await expect(adapter.get(base, '/away')).rejects.toMatchObject({ code: 'Origin::NotAllowed', status: 403 });
    await expect(adapter.get(base, '/loop')).rejects.toMatchObject({ code: 'Origin::Unreachable', status: 502 });
  });

  it('bounds the body by its declared length and while it streams', async () => {
    const { adapter, base } = storage();
    await expect(adapter.get(base, '/big', { maxBytes: 1000 })).rejects.toMatchObject({ code: 'Origin::TooLarge', status: 413 });
    await expect(adapter.get(base, '/big-chunked', { maxBytes: 5000 })).rejects.toMatchObject({ code: 'Origin::TooLarge', status: 413 });
    expect((await adapter.get(base, '/big-chunked', { maxBytes: 8192 })).size).toBe(8192);
  });

  it('gives up on a slow body at its deadline with a 504', async () => {
    const { adapter, base } = storage({ timeoutMs: 300 });
    const started = Date.now();
    await expect(adapter.get(base, '/slow')).rejects.toMatchObject({ code: 'Origin::Unreachable', status: 504 });
    expect(Date.now() - started).toBeLessThan(2_900);
  });

  it('maps the origin answers: 404 NoSuchKey, 403 Origin::Forbidden, 5xx Origin::Unreachable', async () => {
    const { adapter, base } = storage();
    await expect(adapter.get(base, '/missing.png')).rejects.toMatchObject({ code: 'NoSuchKey', status: 404 });
    await expect(adapter.get(base, '/private')).rejects.toMatchObject({ code: 'Origin::Forbidden', status: 403 });
    await expect(adapter.get(base, '/broken')).rejects.toMatchObject({ code: 'Origin::Unreachable', status: 502 });
  });

  it('labels a non-image by its bytes, so it can never be served as an image', async () => {
    const { adapter, base } = storage();
    expect((await adapter.get(base, '/page.html')).contentType).toBe('application/octet-stream');
  });

  it('is read-only', async () => {
    const { adapter, base } = storage();
    await expect(adapter.put(base, '/x.png', png)).rejects.toMatchObject({ code: 'Origin::ReadOnly', status: 403 });
    await expect(adapter.list(base)).rejects.toMatchObject({ code: 'Origin::ReadOnly' });
    await expect(adapter.delete(base, '/x.png')).rejects.toMatchObject({ code: 'Origin::ReadOnly' });
  });

  it('answers 502 when nothing listens', async () => {
    const { adapter } = storage();
    await expect(adapter.get('https://origin.test:1', '/a.png')).rejects.toMatchObject({ code: 'Origin::Unreachable', status: 502 });
  });
});

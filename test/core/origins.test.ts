import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStorage } from '../../core/compose.js';
import { loadConfig } from '../../core/config.js';
import { isAllowedOrigin, isRemoteOrigin, parseOriginAllowList, splitRemoteUrl } from '../../core/origins.js';
import { isPublicAddress } from '../../core/adapters/https/public-address.js';

describe('SOURCE_URLS', () => {
  it('parses origins and wildcards, dropping default ports', () => {
    const { patterns, problems } = parseOriginAllowList(' https://Images.Example.com , https://*.cdn.example.com:8443, http://127.0.0.1:9000/, https://a.example.org:443');
    expect(problems).toEqual([]);
    expect(patterns).toEqual([
      { scheme: 'https', host: 'images.example.com' },
      { scheme: 'https', host: '*.cdn.example.com', port: 8443 },
      { scheme: 'http', host: '127.0.0.1', port: 9000 },
      { scheme: 'https', host: 'a.example.org' },
    ]);
  });

  it.each(['ftp://example.com', 'https://example.com/path', 'example.com', 'https://user@example.com', 'https://example.com:70000', 'file:///etc/passwd', 'https://*'])(
    'refuses %s with a message naming it',
    (entry) => {
      const { patterns, problems } = parseOriginAllowList(entry);
      expect(patterns).toEqual([]);
      expect(problems).toEqual([expect.stringContaining(`"${entry}"`)]);
    },
  );

  it('matches exact hosts, subdomains of a wildcard (not its apex), scheme and port', () => {
    const { patterns } = parseOriginAllowList('https://images.example.com,https://*.cdn.example.com,http://127.0.0.1:9000');
    expect(isAllowedOrigin('https://images.example.com', patterns)).toBe(true);
    expect(isAllowedOrigin('https://a.b.cdn.example.com', patterns)).toBe(true);
    expect(isAllowedOrigin('https://cdn.example.com', patterns)).toBe(false);
    expect(isAllowedOrigin('https://evilcdn.example.com', patterns)).toBe(false);
    expect(isAllowedOrigin('https://images.example.com.evil.org', patterns)).toBe(false);
    expect(isAllowedOrigin('http://images.example.com', patterns)).toBe(false);
    expect(isAllowedOrigin('https://images.example.com:8443', patterns)).toBe(false);
    expect(isAllowedOrigin('http://127.0.0.1:9000', patterns)).toBe(true);
    expect(isAllowedOrigin('http://127.0.0.1:9001', patterns)).toBe(false);
  });
});

describe('absolute URLs as keys', () => {
  it.each([
    ['https://Images.Example.com/a/b.jpg', 'https://images.example.com', '/a/b.jpg'],
    ['https:/images.example.com/b.jpg', 'https://images.example.com', '/b.jpg'],
    ['https://images.example.com:443/b.jpg?v=2#frag', 'https://images.example.com', '/b.jpg?v=2'],
    ['http://127.0.0.1:9000/x.png', 'http://127.0.0.1:9000', '/x.png'],
    ['https://[::1]:8443/x.png', 'https://[::1]:8443', '/x.png'],
  ])('%s → %s + %s', (key, origin, path) => {
    expect(splitRemoteUrl(key)).toEqual({ origin, path });
    expect(isRemoteOrigin(origin)).toBe(true);
  });

  it.each(['photos/a.jpg', 'file:///etc/passwd', 'gopher://example.com/1', 'https://user:pw@example.com/a.jpg', 'https:example.com'])('%s is no remote URL', (key) => {
    expect(splitRemoteUrl(key)).toBeUndefined();
  });
});

describe('public addresses', () => {
  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001::200e'])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1',
    '255.255.255.255', '::1', '::', 'fe80::1', 'fd00:ec2::254', 'fc00::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254',
    '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', 'not an address',
  ])('%s is not', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });
});

describe('the storage createStorage builds with SOURCE_URLS', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-origins-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  test('sends remote origins to the HTTPS adapter (loaded on first use), buckets to their storage', async () => {
    const storage = createStorage(
      loadConfig({ SHUTTER_DATA_DIR: dataDir, SOURCE_BUCKETS: 'photos', SOURCE_URLS: 'https://images.example.com' }),
    );
    // Only the HTTPS adapter answers this way: a remote origin is read-only.
    await expect(storage.put('https://images.example.com', 'a.png', Buffer.from('x'))).rejects.toMatchObject({
      code: 'Origin::ReadOnly',
      status: 403,
    });
    await storage.put('photos', 'a.png', Buffer.from('x'));
    expect((await storage.get('photos', 'a.png')).body.toString()).toBe('x');
  });
});

/**
 * Escapes from the allowed buckets: path traversal and percent-encoding tricks against local
 * storage (%2e%2e, %2f, double encoding, backslashes, unicode dots, NUL), `s3:` bucket segments,
 * Default-door buckets, and overlay/watermark references to other buckets or files. Next to the
 * allowed bucket lie a bucket folder that is not allowed and files outside every bucket; none of
 * them is ever served, every attempt is a 4xx with a stable code.
 */
import { jest } from '@jest/globals';
import fc from 'fast-check';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { base64Path, createTestApp, type TestApp } from '../helpers/app.js';
import { imageInfo, makeImage } from '../helpers/images.js';
import { mangle } from './arbitraries.js';
import { probeUrl, Tally } from './probe.js';
import { recordRow } from './report-store.js';

let t: TestApp;
let secret: Buffer;
const tally = new Tally();
const HANG_GUARD_MS = 27_000;

beforeAll(async () => {
  jest.spyOn(console, 'error').mockImplementation(() => {});
  t = await createTestApp();
  await t.platform.storage.put('images', 'a.jpg', await makeImage(40, 30, 'jpeg'));
  await t.platform.storage.put('images', 'dir/b.png', await makeImage(40, 30, 'png'));
  // The secret: a 7×3 image in places no request may reach. Its odd size gives it away if ever served.
  secret = await sharp({ create: { width: 7, height: 3, channels: 3, background: '#ff0000' } }).jpeg().toBuffer();
  await mkdir(path.join(t.dataDir, 'buckets', 'private'), { recursive: true });
  await writeFile(path.join(t.dataDir, 'buckets', 'private', 'secret.jpg'), secret);
  await writeFile(path.join(t.dataDir, 'secret.jpg'), secret);
  await writeFile(path.join(t.dataDir, 'buckets', 'secret.jpg'), secret);
});

afterAll(() => recordRow('Hostile input', 'Paths: traversal, encodings, bucket and overlay escapes', tally.row({ 'secrets served': 0 }), import.meta.filename));

/** Requests `url`; it must be a clean 4xx, and whatever comes back must not be the secret. */
async function attempt(url: string): Promise<number> {
  const outcome = await probeUrl(t.app, url, HANG_GUARD_MS);
  tally.add(outcome);
  expect({ url, violation: outcome.violation }).toEqual({ url, violation: undefined });
  if (outcome.status === 200) {
    const response = await t.request(url);
    expect(response.bytes.equals(secret)).toBe(false);
    const info = await imageInfo(response.bytes).catch(() => undefined);
    expect(info && info.width === 7 && info.height === 3).toBeFalsy();
  }
  return outcome.status;
}

const TRAVERSALS = [
  '../secret.jpg', '../../secret.jpg', '../private/secret.jpg', 'dir/../../private/secret.jpg',
  '%2e%2e/secret.jpg', '%2E%2E/private/secret.jpg', '%2e%2e%2fsecret.jpg', '..%2fsecret.jpg', '..%2Fprivate%2Fsecret.jpg',
  '%252e%252e%252fsecret.jpg', '%25252e%25252e/secret.jpg', '..%5csecret.jpg', '..\\secret.jpg', '..\\..\\secret.jpg',
  '%c0%ae%c0%ae/secret.jpg', '%c0%af', '\uff0e\uff0e/secret.jpg', '%ef%bc%8e%ef%bc%8e/secret.jpg', '%e2%80%a5/secret.jpg',
  '....//secret.jpg', '..;/secret.jpg', '.%2e/secret.jpg', '%2e./secret.jpg', '%2e%2e', '..', '.', './a.jpg', 'dir/./b.png',
  '%00', 'a.jpg%00.png', 'a.jpg%00', '%2fetc%2fpasswd', 'file:%2f%2f%2fetc%2fpasswd', '.meta/images/a.jpg.json',
  '%2emeta/images/a.jpg.json', '../.meta/images/a.jpg.json', '../.tmp/x', '..%00/secret.jpg', `${'../'.repeat(40)}etc/passwd`,
];

describe('traversal and encoding tricks in the key', () => {
  test.each(TRAVERSALS)('Thumbor key %j', async (key) => {
    expect(await attempt(`/fit-in/20x20/${key}`)).toBeGreaterThanOrEqual(400);
    expect(await attempt(`/${key}`)).toBeGreaterThanOrEqual(400);
    expect(await attempt(`/meta/${key}`)).toBeGreaterThanOrEqual(400);
    expect(await attempt(`/${key}?width=10`)).toBeGreaterThanOrEqual(400);
  });

  test.each(TRAVERSALS.map((key) => safeDecode(key)))('Default key %j', async (key) => {
    expect(await attempt(base64Path({ key }))).toBeGreaterThanOrEqual(400);
    expect(await attempt(base64Path({ bucket: 'images', key, edits: { resize: { width: 10 } } }))).toBeGreaterThanOrEqual(400);
  });

  test('a doubled leading slash or an absolute key never reaches the root of the disk', async () => {
    for (const url of ['//etc/passwd', '///etc/passwd', '/fit-in/10x10//etc/passwd', base64Path({ key: '/etc/passwd' }), base64Path({ key: '//etc/passwd' })]) {
      expect(await attempt(url)).toBeGreaterThanOrEqual(400);
    }
  });

  test('fuzzed: traversal pieces anywhere in the path never serve the secret, never a 5xx', async () => {
    const target = fc.constantFrom('secret.jpg', 'private/secret.jpg', 'a.jpg', 'dir/b.png', '');
    const prefix = fc.constantFrom('', 'fit-in/10x10/', 's3:images/', 's3:private/', 'meta/', 'unsafe/');
    await fc.assert(
      fc.asyncProperty(mangle(fc.tuple(prefix, target).map(([p, k]) => `/${p}${k}`)), async (url) => {
        await attempt(url);
      }),
      { numRuns: Number(process.env.SHUTTER_FUZZ_SCALE ?? 1) * 1500 },
    );
  }, 60_000);
});

describe('bucket escapes', () => {
  test.each([
    ['s3:private/', '/s3:private/secret.jpg'],
    ['s3:private/ after options', '/fit-in/10x10/s3:private/secret.jpg'],
    ['s3: with encoded traversal', '/s3:..%2fprivate/secret.jpg'],
    ['s3:images/ then traversal', '/s3:images/../private/secret.jpg'],
    ['s3:images%2f..', '/s3:images%2f..%2fprivate/secret.jpg'],
    ['s3:.. ', '/s3:../secret.jpg'],
    ['s3:.meta', '/s3:.meta/images/a.jpg.json'],
    ['s3: uppercase', '/s3:IMAGES/a.jpg'],
    ['Default bucket not allowed', base64Path({ bucket: 'private', key: 'secret.jpg' })],
    ['Default bucket with traversal', base64Path({ bucket: 'images/../private', key: 'secret.jpg' })],
    ['Default bucket ..', base64Path({ bucket: '..', key: 'secret.jpg' })],
    ['Default bucket .', base64Path({ bucket: '.', key: 'buckets/private/secret.jpg' })],
    ['Default bucket .meta', base64Path({ bucket: '.meta', key: 'images/a.jpg.json' })],
    ['Default bucket empty', base64Path({ bucket: '', key: 'secret.jpg' })],
    ['Default bucket as object', base64Path({ bucket: { toString: 'private' }, key: 'secret.jpg' })],
  ])('%s', async (_name, url) => {
    expect(await attempt(url)).toBeGreaterThanOrEqual(400);
  });
});

describe('overlay and watermark escapes', () => {
  test.each([
    ['overlay from a bucket not allowed', base64Path({ key: 'a.jpg', edits: { overlayWith: { bucket: 'private', key: 'secret.jpg' } } }), 403],
    ['overlay key with traversal', base64Path({ key: 'a.jpg', edits: { overlayWith: { bucket: 'images', key: '../private/secret.jpg' } } }), 400],
    ['overlay key out of the data folder', base64Path({ key: 'a.jpg', edits: { overlayWith: { bucket: 'images', key: '../../secret.jpg' } } }), 400],
    ['overlay key absolute', base64Path({ key: 'a.jpg', edits: { overlayWith: { bucket: 'images', key: '/etc/passwd' } } }), 400],
    ['overlay bucket with traversal', base64Path({ key: 'a.jpg', edits: { overlayWith: { bucket: 'images/../private', key: 'secret.jpg' } } }), 403],
    ['watermark from a bucket not allowed', '/filters:watermark(private,secret.jpg,0,0,0)/a.jpg', 403],
    ['watermark key with traversal', '/filters:watermark(images,../private/secret.jpg,0,0,0)/a.jpg', 400],
    ['watermark key percent-encoded traversal', '/filters:watermark(images,%2e%2e%2fprivate%2fsecret.jpg,0,0,0)/a.jpg', 400],
    // Decoded once, it names a key that does not exist: SIH's OverlayImageException, 400.
    ['watermark key double-encoded', '/filters:watermark(images,%252e%252e%252fsecret.jpg,0,0,0)/a.jpg', 400],
    ['watermark bucket ..', '/filters:watermark(..,secret.jpg,0,0,0)/a.jpg', 403],
  ])('%s → %i', async (_name, url, status) => {
    expect(await attempt(url)).toBe(status);
  });
});

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

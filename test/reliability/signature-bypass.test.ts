/**
 * Attempts to get an image from a deployment with ENABLE_SIGNATURE=Yes without a valid signature
 * for exactly that URL: missing, empty, wrong-case and re-encoded signatures, signatures replayed
 * on other paths or with other parameters, parameter smuggling through the string that is signed,
 * tampered and past expiries, and the routes and methods that reveal an image besides GET.
 * Then fuzzed mutations of a valid signed URL: only the URL as signed is served.
 */
import { jest } from '@jest/globals';
import fc from 'fast-check';
import { sign } from '../../api/signature.js';
import { base64Path, createTestApp, writeSecret, type TestApp } from '../helpers/app.js';
import { makeImage } from '../helpers/images.js';
import { probe, Tally } from './probe.js';
import { recordRow } from './report-store.js';

const SECRET = 'signature-bypass-test-secret';
const HANG_GUARD_MS = 27_000;
let t: TestApp;
const tally = new Tally();

beforeAll(async () => {
  jest.spyOn(console, 'error').mockImplementation(() => {});
  t = await createTestApp({ ENABLE_SIGNATURE: 'Yes', SECRETS_MANAGER: 'shutter-signing', SECRET_KEY: 'signatureKey' });
  await writeSecret(t.dataDir, 'shutter-signing', { signatureKey: SECRET });
  await t.platform.storage.put('images', 'a.jpg', await makeImage(40, 30, 'jpeg'));
});

afterAll(() => recordRow('Hostile input', 'Signatures: bypass attempts', tally.row({ 'unsigned URLs served': 0 }), import.meta.filename));

/** Sends a request; returns status and code, counting it. */
async function attempt(path: string, query: Record<string, string> = {}, init: { method?: string; headers?: Record<string, string> } = {}) {
  const outcome = await probe(t.app, { path, query, ...init }, HANG_GUARD_MS);
  tally.add(outcome);
  expect(outcome.violation).toBeUndefined();
  return { status: outcome.status, code: outcome.code };
}

const PATH = '/fit-in/20x20/a.jpg';
const signed = (path: string, query: Record<string, string> = {}) => ({ ...query, signature: sign(SECRET, path, query) });

describe('signature bypass attempts', () => {
  test('the genuine signed URL is served (the baseline)', async () => {
    expect((await attempt(PATH, signed(PATH))).status).toBe(200);
    expect((await attempt(PATH, signed(PATH, { width: '10' }))).status).toBe(200);
  });

  test.each([
    ['missing', () => ({}), 400, 'AuthorizationQueryParametersError'],
    ['empty', () => ({ signature: '' }), 400, 'AuthorizationQueryParametersError'],
    ['parameter named Signature (case)', () => ({ Signature: sign(SECRET, PATH) }), 400, 'AuthorizationQueryParametersError'],
    ['wrong', () => ({ signature: '0'.repeat(64) }), 403, 'SignatureDoesNotMatch'],
    ['upper-case hex', () => ({ signature: sign(SECRET, PATH).toUpperCase() }), 403, 'SignatureDoesNotMatch'],
    ['base64 instead of hex', () => ({ signature: Buffer.from(sign(SECRET, PATH), 'hex').toString('base64') }), 403, 'SignatureDoesNotMatch'],
    ['with a trailing space', () => ({ signature: `${sign(SECRET, PATH)} ` }), 403, 'SignatureDoesNotMatch'],
    ['truncated', () => ({ signature: sign(SECRET, PATH).slice(0, 32) }), 403, 'SignatureDoesNotMatch'],
    ['doubled', () => ({ signature: sign(SECRET, PATH).repeat(2) }), 403, 'SignatureDoesNotMatch'],
    ['made with another secret', () => ({ signature: sign('guess', PATH) }), 403, 'SignatureDoesNotMatch'],
    ['made with an empty secret', () => ({ signature: sign('', PATH) }), 403, 'SignatureDoesNotMatch'],
    ['of the path without its leading slash', () => ({ signature: sign(SECRET, PATH.slice(1)) }), 403, 'SignatureDoesNotMatch'],
    ['of another path, replayed', () => signed('/fit-in/10x10/a.jpg'), 403, 'SignatureDoesNotMatch'],
    ['replayed with an extra parameter', () => ({ ...signed(PATH), width: '500' }), 403, 'SignatureDoesNotMatch'],
    ['replayed with a cache buster', () => ({ ...signed(PATH), cb: '1' }), 403, 'SignatureDoesNotMatch'],
    ['replayed with a changed value', () => ({ ...signed(PATH, { width: '10' }), width: '11' }), 403, 'SignatureDoesNotMatch'],
    ['replayed with a parameter removed', () => ({ signature: signed(PATH, { width: '10' }).signature }), 403, 'SignatureDoesNotMatch'],
  ])('signature %s → %i %s', async (_name, query, status, code) => {
    expect(await attempt(PATH, query())).toEqual({ status, code });
  });

  test.each([
    ['a percent-encoded letter', '/fit-in/20x20/%61.jpg'],
    ['a doubled slash', '/fit-in/20x20//a.jpg'],
    ['a trailing slash', '/fit-in/20x20/a.jpg/'],
    ['unsafe/ prepended', '/unsafe/fit-in/20x20/a.jpg'],
    ['upper-case option', '/FIT-IN/20x20/a.jpg'],
  ])('the signature of %s is not the signature of the path', async (_name, path) => {
    expect(await attempt(path, signed(PATH))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
  });

  test('the Default door: another request, or the same one re-encoded, needs its own signature', async () => {
    const genuine = base64Path({ key: 'a.jpg', edits: { resize: { width: 10 } } });
    expect((await attempt(genuine, signed(genuine))).status).toBe(200);
    const other = base64Path({ key: 'a.jpg', edits: { resize: { width: 4000 } } });
    expect(await attempt(other, signed(genuine))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    const respaced = `/${Buffer.from(JSON.stringify({ key: 'a.jpg', edits: { resize: { width: 10 } } }, null, 1)).toString('base64')}`;
    expect(await attempt(respaced, signed(genuine))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
  });

  // Found here: the signed string joins decoded names and values with "&" and "=", so
  // "?expires=X&width=10" could be replayed as one parameter named "expires=X&width" with the
  // value "10": same string, same signature, and neither the expiry nor the width applied.
  test('regression: parameters smuggled through "&" and "=" in names or values are refused', async () => {
    const query = { expires: '20200101T000000Z', width: '10' };
    const signature = sign(SECRET, PATH, query);
    expect(await attempt(PATH, { ...query, signature })).toEqual({ status: 400, code: 'ImageRequestExpired' });
    expect(await attempt(PATH, { 'expires=20200101T000000Z&width': '10', signature })).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await attempt(PATH, { expires: '20200101T000000Z&width=10', signature })).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
  });

  test('expiry: past is refused, a tampered date does not match, a future one is served with a bounded cache life', async () => {
    const past = { expires: '20200101T000000Z' };
    expect(await attempt(PATH, signed(PATH, past))).toEqual({ status: 400, code: 'ImageRequestExpired' });
    expect(await attempt(PATH, { ...signed(PATH, past), expires: '20991231T235959Z' })).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    const malformed = { expires: '2099-12-31' };
    expect(await attempt(PATH, signed(PATH, malformed))).toEqual({ status: 400, code: 'ImageRequestExpiryFormat' });
    const response = await t.request(`${PATH}?${new URLSearchParams(signed(PATH, { expires: '20991231T235959Z' }))}`);
    expect(response.status).toBe(200);
    expect(response.headers['Cache-Control']).toMatch(/^max-age=\d+,public$/);
  });

  test('every route that reveals an image checks the signature: /meta, HEAD, If-None-Match', async () => {
    // /meta answered dimensions, EXIF and a ThumbHash preview without a signature before.
    expect(await attempt('/meta/a.jpg')).toEqual({ status: 400, code: 'AuthorizationQueryParametersError' });
    expect(await attempt('/meta/a.jpg', signed('/a.jpg'))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect((await attempt('/meta/a.jpg', signed('/meta/a.jpg'))).status).toBe(200);
    expect((await attempt(PATH, {}, { method: 'HEAD' })).status).toBe(400);
    const etag = (await t.request(`${PATH}?${new URLSearchParams(signed(PATH))}`)).headers.ETag!;
    expect((await attempt(PATH, {}, { headers: { 'if-none-match': etag } })).status).toBe(400);
    expect((await attempt(PATH, signed(PATH), { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  test('fuzzed: any change to a signed URL (path, parameters, signature) is refused', async () => {
    const genuineQuery = { width: '12', format: 'png' };
    const genuine = signed(PATH, genuineQuery);
    const change = fc.oneof(
      fc.record({ kind: fc.constant('path' as const), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 3 }) }),
      fc.record({ kind: fc.constant('signature' as const), at: fc.nat(), text: fc.stringMatching(/^[0-9a-fA-F]$/) }),
      fc.record({ kind: fc.constant('add' as const), name: fc.string({ maxLength: 8 }), value: fc.string({ maxLength: 8 }) }),
      fc.record({ kind: fc.constant('value' as const), name: fc.constantFrom('width', 'format'), value: fc.string({ maxLength: 4 }) }),
    );
    await fc.assert(
      fc.asyncProperty(change, async (mutation) => {
        let path = PATH;
        const query: Record<string, string> = { ...genuine };
        if (mutation.kind === 'path') {
          const at = mutation.at % (path.length + 1);
          path = path.slice(0, at) + mutation.text + path.slice(at);
        } else if (mutation.kind === 'signature') {
          const at = mutation.at % query.signature!.length;
          query.signature = query.signature!.slice(0, at) + mutation.text + query.signature!.slice(at + 1);
        } else if (mutation.kind === 'add') query[mutation.name] = mutation.value;
        else query[mutation.name] = mutation.value;
        const unchanged = path === PATH && JSON.stringify(Object.entries(query).sort()) === JSON.stringify(Object.entries(genuine).sort());
        const { status } = await attempt(path, query);
        if (!unchanged) expect(status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: Number(process.env.SHUTTER_FUZZ_SCALE ?? 1) * 1000 },
    );
  }, 60_000);
});

/**
 * Security posture of the API over real HTTP: the security headers on every kind of answer
 * (image, 304, JSON error, 5xx, health, metadata, preflight, malformed HTTP), no `Server` or
 * `X-Powered-By` leak, no way for a request to override them; and, with signatures on, the
 * signing secret never reaches the logs, whatever is sent (including a broken secret file).
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { sign } from '../../api/signature.js';
import { base64Path } from '../helpers/app.js';
import { makeImage } from '../helpers/images.js';
import { startServeProcess, type ServeProcess } from './load-run.js';
import { recordRow } from './report-store.js';

const SECRET = 'never-log-me-7f3a9c1e5b';
let server: ServeProcess;
let secretFile: string;
const checked: string[] = [];

beforeAll(async () => {
  server = await startServeProcess(
    { ENABLE_SIGNATURE: 'Yes', SECRETS_MANAGER: 'shutter-signing', SECRET_KEY: 'signatureKey', REQUEST_TIMEOUT_MS: '25000' },
    async (dataDir) => {
      await mkdir(path.join(dataDir, 'secrets'), { recursive: true });
      secretFile = path.join(dataDir, 'secrets', 'shutter-signing.json');
      await writeFile(secretFile, JSON.stringify({ signatureKey: SECRET }));
      await writeFile(path.join(dataDir, 'buckets', 'images', 'a.jpg'), await makeImage(40, 30, 'jpeg'));
      await writeFile(path.join(dataDir, 'buckets', 'images', 'v.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
    },
  );
}, 60_000);

afterAll(async () => {
  await server?.stop();
  recordRow('Security', 'Security headers on every answer (real HTTP)', { 'answer kinds checked': checked.length, kinds: checked.join(', '), 'missing headers': 0, 'Server/X-Powered-By leaks': 0 }, import.meta.filename);
});

const signedUrl = (urlPath: string, query: Record<string, string> = {}): string => `${urlPath}?${new URLSearchParams({ ...query, signature: sign(SECRET, urlPath, query) })}`;

function expectSecurityHeaders(kind: string, headers: Headers, as: 'json' | 'image') {
  checked.push(kind);
  expect({ kind, nosniff: headers.get('x-content-type-options') }).toEqual({ kind, nosniff: 'nosniff' });
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('server')).toBeNull();
  expect(headers.get('x-powered-by')).toBeNull();
  if (as === 'image') {
    expect(headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; sandbox");
    expect(headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  } else {
    expect(headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'; sandbox");
    expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
  }
}

describe('security headers on every answer', () => {
  test.each([
    ['image 200', signedUrl('/fit-in/20x20/a.jpg'), {}, 200, 'image'],
    ['image passed through', signedUrl('/a.jpg'), {}, 200, 'image'],
    ['stored SVG passed through', signedUrl('/v.svg'), {}, 200, 'image'],
    ['400 missing signature', '/a.jpg', {}, 400, 'json'],
    ['403 bad signature', '/a.jpg?signature=00', {}, 403, 'json'],
    ['404 missing image', signedUrl('/missing.jpg'), {}, 404, 'json'],
    ['405 method', '/a.jpg', { method: 'DELETE' }, 405, 'json'],
    ['health', '/health', {}, 200, 'json'],
    ['metadata', signedUrl('/meta/a.jpg'), {}, 200, 'json'],
    ['preflight (OPTIONS)', '/a.jpg', { method: 'OPTIONS' }, 204, 'json'],
  ] as const)('%s', async (kind, url, init, status, as) => {
    const response = await fetch(`${server.url}${url}`, init);
    expect(response.status).toBe(status);
    expectSecurityHeaders(kind, response.headers, as);
  });

  test('304 revalidation', async () => {
    const url = `${server.url}${signedUrl('/fit-in/20x20/a.jpg')}`;
    const etag = (await fetch(url)).headers.get('etag')!;
    const response = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(response.status).toBe(304);
    expectSecurityHeaders('304 revalidation', response.headers, 'json');
  });

  test('malformed HTTP answered by the server itself', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.write('NOT HTTP\r\n\r\n');
    });
    const headers = new Headers(answer.split('\r\n\r\n')[0]!.split('\r\n').slice(1).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()] as [string, string]));
    expectSecurityHeaders('400 malformed HTTP', headers, 'json');
  });

  test('a request cannot override them through SIH `headers`', async () => {
    const urlPath = base64Path({ key: 'a.jpg', edits: { resize: { width: 10 } }, headers: { 'Content-Security-Policy': "default-src *", 'X-Frame-Options': 'ALLOWALL', 'Referrer-Policy': 'unsafe-url', 'Cross-Origin-Resource-Policy': 'same-site', Server: 'evil', 'X-Custom': 'kept' } });
    const response = await fetch(`${server.url}${signedUrl(urlPath)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-custom')).toBe('kept');
    expectSecurityHeaders('image with SIH headers', response.headers, 'image');
  });
});

describe('the signing secret never reaches the logs', () => {
  test('signed, unsigned, forged and fuzzed requests, and a broken secret file', async () => {
    let requests = 0;
    const send = async (url: string) => {
      requests++;
      await (await fetch(`${server.url}${url}`)).arrayBuffer();
    };
    await send(signedUrl('/fit-in/20x20/a.jpg'));
    await send(signedUrl('/fit-in/20x20/a.jpg', { expires: '20200101T000000Z' }));
    await send(`/a.jpg?signature=${SECRET}`);
    for (const value of fc.sample(fc.string({ maxLength: 30 }), 100)) await send(`/a.jpg?signature=${encodeURIComponent(value)}&x=${encodeURIComponent(value)}`);
    // The secret file broken so that parsing it fails with the secret in the parser's message.
    await writeFile(secretFile, `{"signatureKey": ${SECRET}`);
    await send(signedUrl('/a.jpg'));
    await send(signedUrl('/meta/a.jpg'));
    await writeFile(secretFile, JSON.stringify({ signatureKey: SECRET }));
    await send(signedUrl('/a.jpg'));

    const logs = server.output();
    expect(logs).toMatch(/SignatureValidationFailure/); // the broken secret was noticed and logged...
    expect(logs.includes(SECRET)).toBe(false); // ...without the secret
    recordRow('Security', 'Secrets in logs', { requests, 'log bytes checked': logs.length, 'secret occurrences': 0 }, import.meta.filename);
  });
});

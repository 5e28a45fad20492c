/**
 * The console's authentication and CSRF rules, through the real app: who gets in, how a
 * session works, and which cross-site or rebinding requests are refused.
 */
import { jest } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConsoleAuth, withConsoleSecret } from '../../../console/server/auth.js';
import type { HttpRequest } from '../../../api/http.js';
import { FileSecrets } from '../../../core/adapters/local/file-secrets.js';
import { loadConfig, withConsoleCredentials } from '../../../core/config.js';
import { logger } from '../../../core/observability/logger.js';
import { createTestApp, writeSecret, type TestApp } from '../../helpers/app.js';

const TOKEN = 'test-token-0123456789abcdef';
const json = (value: unknown): Partial<HttpRequest> => ({ body: Buffer.from(JSON.stringify(value)) });
const body = (response: { bytes: Buffer }) => JSON.parse(response.bytes.toString('utf8')) as Record<string, unknown>;

describe('console configuration', () => {
  test('loopback by default: the server binds 127.0.0.1 and asks no credentials', () => {
    const config = loadConfig({});
    expect(config.host).toBe('127.0.0.1');
    expect(config.console).toMatchObject({ authRequired: false, allowedHosts: expect.arrayContaining(['localhost', '127.0.0.1']) });
  });

  test('binding another address without credentials refuses to start', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/binds 0\.0\.0\.0.*CONSOLE_TOKEN/);
    expect(loadConfig({ HOST: '0.0.0.0', CONSOLE_TOKEN: TOKEN }).console).toMatchObject({ authRequired: true, token: TOKEN, allowedHosts: undefined });
    expect(loadConfig({ HOST: '0.0.0.0', CONSOLE_USER: 'ops', CONSOLE_PASSWORD: 'correct horse battery' }).console.authRequired).toBe(true);
  });

  test('credentials, once set, are asked on loopback too; CONSOLE_AUTH=No turns them off and keeps the Host check', () => {
    expect(loadConfig({ CONSOLE_TOKEN: TOKEN }).console.authRequired).toBe(true);
    expect(loadConfig({ CONSOLE_AUTH: 'No' }).console).toMatchObject({ authRequired: false, allowedHosts: expect.arrayContaining(['localhost', '127.0.0.1']) });
  });

  test('CONSOLE_AUTH=No on an address other machines reach refuses to start, unless confirmed by a second setting', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0', CONSOLE_AUTH: 'No' })).toThrow(/CONSOLE_AUTH=No on 0\.0\.0\.0.*CONSOLE_AUTH_OFF_ON_NETWORK=Yes/);
    expect(() => loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'fn', SOURCE_BUCKETS: 'images', CONSOLE_AUTH: 'No' })).toThrow(/CONSOLE_AUTH=No in Lambda/);
    expect(loadConfig({ HOST: '0.0.0.0', CONSOLE_AUTH: 'No', CONSOLE_AUTH_OFF_ON_NETWORK: 'Yes' }).console).toMatchObject({ authRequired: false, allowedHosts: undefined });
  });

  test('weak or half-given credentials are refused, every problem at once', () => {
    try {
      loadConfig({ CONSOLE_TOKEN: 'short', CONSOLE_USER: 'ops' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      const { problems } = error as { problems: string[] };
      expect(problems).toEqual([expect.stringMatching(/CONSOLE_TOKEN: at least 16/), expect.stringMatching(/CONSOLE_USER and CONSOLE_PASSWORD go together/)]);
    }
    expect(() => loadConfig({ CONSOLE_USER: 'ops', CONSOLE_PASSWORD: 'short' })).toThrow(/CONSOLE_PASSWORD: at least 12/);
  });

  test('in Lambda the console API is closed without credentials, but the image API still starts', async () => {
    const config = loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'fn', SOURCE_BUCKETS: 'images' });
    expect(config.console.authRequired).toBe(true);
    const app = await createTestApp({ AWS_LAMBDA_FUNCTION_NAME: 'fn', SOURCE_BUCKETS: 'images', SHUTTER_STORAGE: 'local' });
    const response = await app.request('/api/console/session', { headers: { host: 'x.execute-api.amazonaws.com' } });
    expect(response.status).toBe(403);
    expect(body(response).code).toBe('Console::NotConfigured');
  });
});

describe('console credentials from a secret (CONSOLE_SECRET)', () => {
  const problemsOf = (run: () => unknown): string[] => {
    try {
      run();
    } catch (error) {
      return (error as { problems: string[] }).problems;
    }
    throw new Error('expected a ConfigError');
  };

  test('the secret stands in for CONSOLE_TOKEN: credentials are asked, and its value becomes them', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-console-secret-'));
    await writeSecret(dataDir, 'shutter-console', { token: TOKEN });
    // Binding a public address is allowed: the secret will hold credentials.
    const settings = loadConfig({ SHUTTER_DATA_DIR: dataDir, HOST: '0.0.0.0', CONSOLE_SECRET: 'shutter-console' });
    expect(settings.console).toMatchObject({ authRequired: true, secret: 'shutter-console', token: undefined });
    const config = await withConsoleSecret(settings, new FileSecrets(path.join(dataDir, 'secrets')));
    expect(config.console).toMatchObject({ authRequired: true, token: TOKEN });
    expect(Object.isFrozen(config.console)).toBe(true);
    const auth = createConsoleAuth(config);
    const request: HttpRequest = { method: 'GET', path: '/api/console/session', query: {}, headers: { host: 'h', authorization: `Bearer ${TOKEN}` } };
    expect(auth.authorize(request)).toEqual({ name: 'token', via: 'bearer' });
    // Without CONSOLE_SECRET, the config is used as it is (CONSOLE_TOKEN and friends).
    const direct = loadConfig({ CONSOLE_TOKEN: TOKEN });
    expect(await withConsoleSecret(direct, new FileSecrets(dataDir))).toBe(direct);
  });

  test('a user and password in the secret work as CONSOLE_USER / CONSOLE_PASSWORD do', () => {
    const config = withConsoleCredentials(loadConfig({ CONSOLE_SECRET: 'c' }), JSON.stringify({ user: 'ops', password: 'correct horse battery' }));
    expect(config.console).toMatchObject({ user: 'ops', password: 'correct horse battery', token: undefined });
  });

  test('a secret value that holds no usable credentials fails start with what is wrong, never with the value', () => {
    const settings = loadConfig({ CONSOLE_SECRET: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:console-AbCdEf' });
    expect(problemsOf(() => withConsoleCredentials(settings, 'not json'))).toEqual([
      expect.stringMatching(/^CONSOLE_SECRET arn:aws:secretsmanager:.*console-AbCdEf: its value is not JSON/),
    ]);
    expect(problemsOf(() => withConsoleCredentials(settings, '{"signatureKey":"x"}'))).toEqual([expect.stringMatching(/expected a "token" field, or "user" and "password"/)]);
    const weak = problemsOf(() => withConsoleCredentials(settings, JSON.stringify({ token: 'short-secret', user: 'ops' })));
    expect(weak).toEqual([expect.stringMatching(/"token": at least 16/), expect.stringMatching(/"user" and "password" go together/)]);
    expect(weak.join(' ')).not.toContain('short-secret');
  });

  test('CONSOLE_SECRET and CONSOLE_TOKEN together are refused: one source of credentials', () => {
    expect(problemsOf(() => loadConfig({ CONSOLE_SECRET: 'c', CONSOLE_TOKEN: TOKEN }))).toEqual([expect.stringMatching(/CONSOLE_SECRET names where the console credentials come from/)]);
    expect(problemsOf(() => loadConfig({ CONSOLE_SECRET: 'not a name!' }))).toEqual([expect.stringMatching(/CONSOLE_SECRET: "not a name!" is not a secret name or ARN/)]);
  });
});

describe('console API behind CloudFront (CONSOLE_FORWARDED_HOST)', () => {
  // What API Gateway hands the Lambda: its own Host, and the browser's in X-Forwarded-Host
  // (written by the console distribution's viewer-request function).
  const behindCloudFront = { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'x-forwarded-host': 'd111111abcdef8.cloudfront.net' };
  const signIn = (t: TestApp, headers: Record<string, string>) =>
    t.request('/api/console/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://d111111abcdef8.cloudfront.net', 'sec-fetch-site': 'same-origin', ...headers },
      ...json({ token: TOKEN }),
    });

  test("the browser's sign-in is same-origin against the forwarded Host, not the API's own", async () => {
    const t = await createTestApp({ CONSOLE_TOKEN: TOKEN, CONSOLE_FORWARDED_HOST: 'Yes' });
    expect((await signIn(t, behindCloudFront)).status).toBe(200);
    // Another site's page is still refused, whatever Host reached the API.
    const evil = await t.request('/api/console/session', {
      method: 'POST',
      headers: { ...behindCloudFront, 'content-type': 'application/json', origin: 'https://evil.example' },
      ...json({ token: TOKEN }),
    });
    expect(body(evil).code).toBe('Console::CrossSiteRequest');
  });

  test('without the setting X-Forwarded-Host is not trusted: Origin is compared with Host', async () => {
    const t = await createTestApp({ CONSOLE_TOKEN: TOKEN });
    expect(body(await signIn(t, behindCloudFront)).code).toBe('Console::CrossSiteRequest');
  });
});

describe('console API with a token', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ CONSOLE_TOKEN: TOKEN, CONSOLE_USER: 'ops', CONSOLE_PASSWORD: 'correct horse battery' });
  });
  const host = { host: 'shutter.example.com' };

  test('no credentials: 401 with a Bearer challenge, and nothing of the data', async () => {
    const response = await t.request('/api/console/session', { headers: host });
    expect(response.status).toBe(401);
    expect(response.headers['WWW-Authenticate']).toBe('Bearer realm="shutter console"');
    expect(body(response).code).toBe('Console::Unauthorized');
    // Unknown API paths too: the catch-all sits behind the same gate.
    expect((await t.request('/api/nothing-here', { headers: host })).status).toBe(401);
  });

  test('Bearer and Basic headers let scripts in; wrong ones do not', async () => {
    const bearer = await t.request('/api/console/session', { headers: { ...host, authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(200);
    expect(body(bearer).operator).toBe('token');
    const basic = await t.request('/api/console/session', { headers: { ...host, authorization: `Basic ${Buffer.from('ops:correct horse battery').toString('base64')}` } });
    expect(body(basic).operator).toBe('ops');
    expect((await t.request('/api/console/session', { headers: { ...host, authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await t.request('/api/console/session', { headers: { ...host, authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` } })).status).toBe(401);
  });

  test('signing in sets an HttpOnly SameSite=Strict cookie; the session then needs the CSRF token to act', async () => {
    const signIn = await t.request('/api/console/session', {
      method: 'POST',
      headers: { ...host, 'content-type': 'application/json', origin: 'https://shutter.example.com', 'sec-fetch-site': 'same-origin' },
      ...json({ token: TOKEN }),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers['Set-Cookie']!;
    expect(cookie).toMatch(/^shutter_console=[^;]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(TOKEN);
    const session = { ...host, cookie: cookie.split(';')[0]! };
    const info = await t.request('/api/console/session', { headers: session });
    expect(body(info)).toMatchObject({ operator: 'token', authRequired: true, signatureEnabled: false });
    const csrf = String(body(info).csrfToken);
    expect(csrf).toBe(body(signIn).csrfToken);
    // No secret in what the page reads.
    expect(info.bytes.toString()).not.toContain(TOKEN);

    const sign = (headers: Record<string, string>) =>
      t.request('/api/sign', { method: 'POST', headers: { ...session, 'content-type': 'application/json', ...headers }, ...json({ path: '/a.jpg' }) });
    expect(body(await sign({})).code).toBe('Console::CsrfTokenInvalid');
    expect((await sign({ 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await sign({ 'x-csrf-token': csrf })).status).toBe(200);
  });

  test('wrong passwords are slowed down per client with backoff, not for every operator; failures are logged at warn with the client address', async () => {
    const app = await createTestApp({ CONSOLE_USER: 'ops', CONSOLE_PASSWORD: 'correct horse battery' });
    const warnings = jest.spyOn(logger, 'warn');
    const attempt = (client: string, password: string) =>
      app.request('/api/console/session', { method: 'POST', peer: client, headers: { ...host, 'content-type': 'application/json' }, ...json({ user: 'ops', password }) });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await attempt('203.0.113.7', 'guess')).status);
      // Five free failures, a sixth that starts the backoff, then a wait (even for the right password).
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
      const held = await attempt('203.0.113.7', 'correct horse battery');
      expect(held.status).toBe(429);
      expect(Number(held.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
      // Another operator, at another address, is not locked out by the guessing.
      expect((await attempt('198.51.100.20', 'correct horse battery')).status).toBe(200);
      expect(warnings).toHaveBeenCalledWith(expect.objectContaining({ client: '203.0.113.7', account: 'ops', via: 'form' }), 'console credentials refused');
    } finally {
      warnings.mockRestore();
    }
  });

  test('wrong Authorization headers are slowed down the same way', async () => {
    const app = await createTestApp({ CONSOLE_TOKEN: TOKEN });
    const call = (client: string, token: string) => app.request('/api/console/session', { peer: client, headers: { ...host, authorization: `Bearer ${token}` } });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await call('203.0.113.8', `guess-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
    expect((await call('203.0.113.8', TOKEN)).status).toBe(429);
    expect((await call('198.51.100.21', TOKEN)).status).toBe(200);
  });

  test('a session cookie that was tampered with is refused', async () => {
    const signIn = await t.request('/api/console/session', { method: 'POST', headers: { ...host, 'content-type': 'application/json' }, ...json({ token: TOKEN }) });
    const value = signIn.headers['Set-Cookie']!.split(';')[0]!.split('=')[1]!;
    const [expires, user, id, mac] = value.split('.');
    const forgedUser = `${expires}.${Buffer.from('admin').toString('base64url')}.${id}.${mac}`;
    const longerLife = `${Number(expires) + 86_400}.${user}.${id}.${mac}`;
    const otherId = `${expires}.${user}.${'A'.repeat(22)}.${mac}`;
    for (const cookie of [forgedUser, longerLife, otherId]) {
      expect((await t.request('/api/console/session', { headers: { ...host, cookie: `shutter_console=${cookie}` } })).status).toBe(401);
    }
  });

  test('a session ends after 12 hours, and when the credentials change', () => {
    let now = Date.UTC(2030, 0, 1);
    const config = loadConfig({ CONSOLE_TOKEN: TOKEN });
    const auth = createConsoleAuth(config, () => now);
    const request = (headers: Record<string, string>): HttpRequest => ({ method: 'GET', path: '/api/console/session', query: {}, headers: { host: 'h', ...headers } });
    const signIn = auth.signIn({ ...request({}), method: 'POST' }, { token: TOKEN });
    const cookie = signIn.headers['Set-Cookie']!.split(';')[0]!;
    expect(auth.authorize(request({ cookie }))).toEqual({ name: 'token', via: 'session' });
    now += 12 * 60 * 60 * 1000 - 1000;
    expect(auth.authorize(request({ cookie }))).toEqual({ name: 'token', via: 'session' });
    now += 2000;
    expect(auth.authorize(request({ cookie }))).toMatchObject({ status: 401 });
    const rotated = createConsoleAuth(loadConfig({ CONSOLE_TOKEN: `${TOKEN}-rotated` }), () => Date.UTC(2030, 0, 1));
    expect(rotated.authorize(request({ cookie }))).toMatchObject({ status: 401 });
  });

  test('state-changing requests from another site are refused, whatever credentials they carry', async () => {
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
      const response = await t.request('/api/sign', {
        method: 'POST',
        headers: { ...host, authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
        ...json({ path: '/a.jpg' }),
      });
      expect(body(response).code).toBe('Console::CrossSiteRequest');
    }
  });

  test('sign-out clears the cookie', async () => {
    const response = await t.request('/api/console/session', { method: 'DELETE', headers: host });
    expect(response.status).toBe(204);
    expect(response.headers['Set-Cookie']).toMatch(/^shutter_console=; .*Max-Age=0/);
  });

  test('after sign-out the session is revoked on the server: a kept copy of the cookie is refused', async () => {
    const signIn = await t.request('/api/console/session', { method: 'POST', headers: { ...host, 'content-type': 'application/json' }, ...json({ token: TOKEN }) });
    const cookie = signIn.headers['Set-Cookie']!.split(';')[0]!;
    const other = await t.request('/api/console/session', { method: 'POST', headers: { ...host, 'content-type': 'application/json' }, ...json({ token: TOKEN }) });
    const otherCookie = other.headers['Set-Cookie']!.split(';')[0]!;
    expect((await t.request('/api/console/session', { headers: { ...host, cookie } })).status).toBe(200);
    expect((await t.request('/api/console/session', { method: 'DELETE', headers: { ...host, cookie } })).status).toBe(204);
    expect((await t.request('/api/console/session', { headers: { ...host, cookie } })).status).toBe(401);
    // Only that session ends: another sign-in (another browser) goes on.
    expect((await t.request('/api/console/session', { headers: { ...host, cookie: otherCookie } })).status).toBe(200);
  });

  test('API answers are never cached nor run as documents', async () => {
    const response = await t.request('/api/console/session', { headers: { ...host, authorization: `Bearer ${TOKEN}` } });
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    expect(response.headers['Content-Security-Policy']).toContain('sandbox');
  });

  test('image URLs, /health and /metrics are not behind the console', async () => {
    expect((await t.request('/health', { headers: host })).status).toBe(200);
    expect((await t.request('/metrics', { headers: host })).status).toBe(200);
  });
});

describe('console API on loopback without credentials', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });

  test('answers on localhost, refuses other Host names (DNS rebinding)', async () => {
    expect((await t.request('/api/console/session', { headers: { host: 'localhost:8080' } })).status).toBe(200);
    expect((await t.request('/api/console/session', { headers: { host: '127.0.0.1:8080' } })).status).toBe(200);
    // In-process callers (tests, a Lambda invoked directly) send no Host at all: no browser does that.
    expect((await t.request('/api/console/session')).status).toBe(200);
    const rebound = await t.request('/api/console/session', { headers: { host: 'attacker.example:8080' } });
    expect(rebound.status).toBe(403);
    expect(body(rebound).code).toBe('Console::HostNotAllowed');
  });

  test('a browser must send the CSRF token to act; a script (no Origin) need not', async () => {
    const local = { host: 'localhost:8080', 'content-type': 'application/json' };
    const csrf = String(body(await t.request('/api/console/session', { headers: local })).csrfToken);
    const sign = (headers: Record<string, string>) => t.request('/api/sign', { method: 'POST', headers: { ...local, ...headers }, ...json({ path: '/a.jpg' }) });
    expect((await sign({ origin: 'http://localhost:8080' })).status).toBe(403);
    expect((await sign({ origin: 'http://localhost:8080', 'x-csrf-token': csrf })).status).toBe(200);
    expect((await sign({})).status).toBe(200);
  });
});

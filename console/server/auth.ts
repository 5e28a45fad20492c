/**
 * Who may use the operator console's API (every `/api/` route), and how its actions stay safe
 * from cross-site requests.
 *
 * - **Credentials** (config `CONSOLE_TOKEN`, or `CONSOLE_USER` + `CONSOLE_PASSWORD`): scripts send
 *   `Authorization: Bearer <token>` or `Basic`; the console's sign-in form exchanges them for a
 *   session cookie (HttpOnly, SameSite=Strict, signed, 12 h). The cookie holds no secret: an
 *   expiry, the user name, a random session id and an HMAC under a key derived from the
 *   credentials, so changing them ends every session, and any number of processes (Lambdas)
 *   verify it without a store. Signing out revokes the session id in the process that answered
 *   (locally: the one server; a revocation store shared by Lambdas is not built yet).
 * - **Guessing**: failed credentials, in the form or in headers, are slowed down per client and
 *   per account with backoff (`sign-in-throttle.ts`) and logged at warn with the client address.
 * - **CSRF**: a POST/PUT/DELETE from a browser must come from our own origin (`Origin`,
 *   `Sec-Fetch-Site`) and, when it rides on the cookie (or on no credentials at all), carry
 *   `X-CSRF-Token`, which only a page of our origin can read (`GET /api/console/session`).
 *   Header credentials are never sent by a browser on its own, so they need no token.
 * - **No credentials** (loopback only, by default): the API answers only to `Host: localhost`,
 *   so a site that points its name at 127.0.0.1 (DNS rebinding) cannot drive it.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { withConsoleCredentials, type Config } from '../../core/config.js';
import type { Secrets } from '../../core/ports/secrets.js';
import type { ShutterError } from '../../core/errors.js';
import { AccessError, RequestError } from '../../core/errors.js';
import { DEFAULTS } from '../../core/limits.js';
import { logger } from '../../core/observability/logger.js';
import { header, json, type HttpRequest, type HttpResponse } from '../../api/http.js';
import { SignInThrottle } from './sign-in-throttle.js';

export const SESSION_COOKIE = 'shutter_console';
export const CSRF_HEADER = 'x-csrf-token';

/** Who is calling, as far as the console is concerned. */
export interface Operator {
  /** The user name (`CONSOLE_USER`), `token` for bearer callers, `local` when no credentials are asked. */
  name: string;
  via: 'bearer' | 'basic' | 'session' | 'none';
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface ConsoleAuth {
  /** The caller of an `/api/` request, or the error response that refuses it. */
  authorize(request: HttpRequest): Operator | HttpResponse;
  /** Checks credentials from the sign-in form (`{token}` or `{user, password}`); answers with the session cookie. */
  signIn(request: HttpRequest, body: unknown): HttpResponse;
  signOut(request: HttpRequest): HttpResponse;
  /** The token the page must echo in `X-CSRF-Token` for unsafe requests. */
  csrfToken(request: HttpRequest): string;
}

export function createConsoleAuth(config: Pick<Config, 'console' | 'inLambda'>, now: () => number = Date.now): ConsoleAuth {
  const settings = config.console;
  const hasCredentials = settings.token !== undefined || settings.password !== undefined;
  // Derived from the credentials (so sessions die with them); random when there are none.
  const key = hasCredentials
    ? createHmac('sha256', 'shutter-console-session').update(`${settings.token ?? ''}\0${settings.user ?? ''}\0${settings.password ?? ''}`).digest()
    : randomBytes(32);
  const mac = (text: string) => createHmac('sha256', key).update(text).digest('base64url');
  const throttle = new SignInThrottle({}, now);
  /**
   * Session ids signed out before their expiry, until it. At most 100,000, counted as a size
   * (`maxSize`) rather than `max`: lru-cache allocates `max` slots up front, ~4 MB held for the
   * process's life by a list that is almost always empty.
   */
  const revoked = new LRUCache<string, true>({ maxSize: 100_000, sizeCalculation: () => 1, ttl: DEFAULTS.consoleSessionSeconds * 1000, ttlAutopurge: false, perf: { now } });

  function sessionOf(request: HttpRequest): { value: string; user: string; id: string; expires: number } | undefined {
    const value = cookie(request, SESSION_COOKIE);
    if (!value) return undefined;
    const [expires, user64, id, signature, ...rest] = value.split('.');
    if (!expires || user64 === undefined || !id || !signature || rest.length || !equal(signature, mac(`${expires}.${user64}.${id}`))) return undefined;
    if (Number(expires) * 1000 < now() || revoked.has(id)) return undefined;
    return { value, user: Buffer.from(user64, 'base64url').toString('utf8'), id, expires: Number(expires) };
  }

  /** Who a credential attempt is counted against: the configured user, the token, or any other name (never logged). */
  function accountOf(user: string | undefined): string {
    if (user === undefined) return 'token';
    return settings.user !== undefined && equal(user, settings.user) ? settings.user : 'unknown-user';
  }

  /** 429 while this client must wait before trying `account` again. */
  function throttled(request: HttpRequest, account: string): HttpResponse | undefined {
    const waitMs = throttle.wait(clientOf(request), account);
    if (waitMs <= 0) return undefined;
    const response = refuse(new RequestError('Console::TooManySignInAttempts', 'Too many failed attempts from this client; wait before trying again.', 429));
    response.headers['Retry-After'] = String(Math.ceil(waitMs / 1000));
    return response;
  }

  function failed(request: HttpRequest, account: string, via: string): HttpResponse {
    throttle.failed(clientOf(request), account);
    logger.warn({ requestId: request.requestId, client: request.client, account, via }, 'console credentials refused');
    return unauthorized(via === 'form' ? 'Those credentials are not valid.' : 'The credentials in the Authorization header are not valid.');
  }

  /** The operator an Authorization header names, or the account its failed attempt counts against. */
  function headerOperator(authorization: string): Operator | { account: string } {
    const [scheme = '', credentials = ''] = authorization.trim().split(/\s+/, 2);
    if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon > 0 ? decoded.slice(0, colon) : '';
      if (settings.password !== undefined && colon > 0 && equal(user, settings.user!) && equal(decoded.slice(colon + 1), settings.password)) {
        return { name: settings.user!, via: 'basic' };
      }
      return { account: accountOf(user) };
    }
    if (scheme.toLowerCase() === 'bearer' && settings.token !== undefined && equal(credentials, settings.token)) {
      return { name: 'token', via: 'bearer' };
    }
    return { account: accountOf(undefined) };
  }

  /** The account a header would be counted against, read before checking it (for the throttle). */
  function headerAccount(authorization: string): string {
    const [scheme = '', credentials = ''] = authorization.trim().split(/\s+/, 2);
    if (scheme.toLowerCase() !== 'basic') return accountOf(undefined);
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    return accountOf(decoded.slice(0, Math.max(0, decoded.indexOf(':'))));
  }

  function csrfFor(request: HttpRequest): string {
    const session = sessionOf(request);
    return mac(`csrf.${session ? session.value : 'anonymous'}`);
  }

  /**
   * The Host the browser sent. Behind the console's CloudFront distribution the origin must get
   * its own name as Host (API Gateway routes on it), so a viewer-request function passes the
   * browser's as X-Forwarded-Host, overwriting any the browser sent (CONSOLE_FORWARDED_HOST).
   */
  function viewerHost(request: HttpRequest): string | undefined {
    const forwarded = settings.forwardedHost ? header(request, 'x-forwarded-host')?.split(',')[0]?.trim() : undefined;
    return forwarded || header(request, 'host');
  }

  /** A browser request from another site carries a foreign Origin or Sec-Fetch-Site. */
  function crossSite(request: HttpRequest): boolean {
    const site = header(request, 'sec-fetch-site');
    if (site && site !== 'same-origin' && site !== 'none') return true;
    const origin = header(request, 'origin');
    if (origin === undefined) return false;
    try {
      return new URL(origin).host !== viewerHost(request);
    } catch {
      return true;
    }
  }
  const fromBrowser = (request: HttpRequest) => header(request, 'origin') !== undefined || header(request, 'sec-fetch-site') !== undefined;

  /** The checks that need no credentials: the Host header, and where a state-changing request comes from. */
  function checkOrigin(request: HttpRequest): HttpResponse | undefined {
    // No Host header: not a browser (every browser request has one), so not a rebinding attack.
    const host = viewerHost(request);
    if (settings.allowedHosts && host !== undefined && !settings.allowedHosts.includes(hostName(host))) {
      return refuse(new AccessError('Console::HostNotAllowed', 'This server answers its API on localhost only. Set CONSOLE_TOKEN to reach it by another name.'));
    }
    if (UNSAFE_METHODS.has(request.method) && crossSite(request)) {
      return refuse(new AccessError('Console::CrossSiteRequest', 'Requests that change state must come from the console itself.'));
    }
    return undefined;
  }

  function authorize(request: HttpRequest): Operator | HttpResponse {
    const refused = checkOrigin(request);
    if (refused) return refused;
    const unsafe = UNSAFE_METHODS.has(request.method);
    let operator: Operator | undefined;
    let needsCsrf = false;
    const authorization = header(request, 'authorization');
    if (!settings.authRequired) {
      operator = { name: 'local', via: 'none' };
      needsCsrf = fromBrowser(request);
    } else if (!hasCredentials) {
      return refuse(new AccessError('Console::NotConfigured', 'The console has no credentials configured: set CONSOLE_TOKEN, or CONSOLE_USER and CONSOLE_PASSWORD.'));
    } else if (authorization !== undefined) {
      const held = throttled(request, headerAccount(authorization));
      if (held) return held;
      const checked = headerOperator(authorization);
      if ('account' in checked) return failed(request, checked.account, 'header');
      operator = checked;
    } else {
      const session = sessionOf(request);
      if (!session) return unauthorized('Sign in to the console, or send Authorization: Bearer <CONSOLE_TOKEN>.');
      operator = { name: session.user, via: 'session' };
      needsCsrf = true;
    }
    if (unsafe && needsCsrf) {
      const given = header(request, CSRF_HEADER);
      if (!given || !equal(given, csrfFor(request))) {
        return refuse(new AccessError('Console::CsrfTokenInvalid', 'This request needs the X-CSRF-Token header the console reads from /api/console/session.'));
      }
    }
    return operator;
  }

  function signIn(request: HttpRequest, body: unknown): HttpResponse {
    const refused = checkOrigin(request);
    if (refused) return refused;
    if (!settings.authRequired) return json(200, { operator: 'local', csrfToken: csrfFor(request) }, noStore);
    if (!hasCredentials) return authorize(request) as HttpResponse;
    const form = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const account = accountOf(typeof form.token === 'string' ? undefined : typeof form.user === 'string' ? form.user : '');
    const held = throttled(request, account);
    if (held) return held;
    let user: string | undefined;
    if (typeof form.token === 'string' && settings.token !== undefined && equal(form.token, settings.token)) user = 'token';
    else if (
      typeof form.user === 'string' &&
      typeof form.password === 'string' &&
      settings.password !== undefined &&
      equal(form.user, settings.user!) &&
      equal(form.password, settings.password)
    ) {
      user = settings.user!;
    }
    if (!user) return failed(request, account, 'form');
    throttle.succeeded(clientOf(request));
    const expires = Math.floor(now() / 1000) + DEFAULTS.consoleSessionSeconds;
    const user64 = Buffer.from(user).toString('base64url');
    const id = randomBytes(16).toString('base64url');
    const value = `${expires}.${user64}.${id}.${mac(`${expires}.${user64}.${id}`)}`;
    const secure = config.inLambda || header(request, 'x-forwarded-proto') === 'https' ? '; Secure' : '';
    logger.info({ requestId: request.requestId, client: request.client, operator: user }, 'console sign-in');
    return json(200, { operator: user, csrfToken: mac(`csrf.${value}`) }, {
      ...noStore,
      'Set-Cookie': `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${DEFAULTS.consoleSessionSeconds}; HttpOnly; SameSite=Strict${secure}`,
    });
  }

  function signOut(request: HttpRequest): HttpResponse {
    const refused = checkOrigin(request);
    if (refused) return refused;
    // Server-side too: a copy of the cookie (another tab, a stolen one) stops working now.
    const session = sessionOf(request);
    if (session) revoked.set(session.id, true, { ttl: Math.max(1, session.expires * 1000 - now()) });
    return {
      status: 204,
      headers: { ...noStore, 'Set-Cookie': `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict` },
    };
  }

  return { authorize, signIn, signOut, csrfToken: csrfFor };
}

/**
 * The config with the console's credentials read from CONSOLE_SECRET (once, at start), or as it
 * is when they come from CONSOLE_TOKEN / CONSOLE_USER / CONSOLE_PASSWORD.
 *
 * @example
 * const env = loadConfig(process.env);
 * const config = await withConsoleSecret(env, createSecrets(env));
 */
export async function withConsoleSecret(config: Readonly<Config>, secrets: Secrets): Promise<Readonly<Config>> {
  const name = config.console.secret;
  return name === undefined ? config : withConsoleCredentials(config, await secrets.getSecret(name));
}

const noStore = { 'Cache-Control': 'no-store' };

function refuse(error: ShutterError): HttpResponse {
  return json(error.status, error.toJSON(), noStore);
}

function unauthorized(message: string): HttpResponse {
  const response = refuse(new AccessError('Console::Unauthorized', message, 401));
  // Bearer, not Basic: a Basic challenge would make browsers cache credentials and send them cross-site.
  response.headers['WWW-Authenticate'] = 'Bearer realm="shutter console"';
  return response;
}

/** Constant-time comparison of two strings of any length. */
function equal(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function cookie(request: HttpRequest, name: string): string | undefined {
  for (const part of (header(request, 'cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** `localhost:8080` → `localhost`, `[::1]:8080` → `[::1]`. */
function hostName(host: string | undefined): string {
  if (!host) return '';
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.split(':')[0]!.toLowerCase();
}

/** Whom failures are counted against: the client's address, or one shared bucket when the transport gave none. */
const clientOf = (request: HttpRequest): string => request.client ?? 'unknown';

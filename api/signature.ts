/**
 * SIH's URL signatures: HMAC-SHA256 (lowercase hex, query `signature`) of the path with its
 * leading slash, followed by `?` and the other query parameters sorted and joined as `k=v&…`
 * when there are any (SIH ≥ 6.2 / v7; with no other parameters this is SIH 6.0's path-only
 * signature). Compared in constant time. `expires` (YYYYMMDDTHHmmssZ) bounds a URL's life.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AccessError, RequestError, ShutterError } from '../core/errors.js';
import type { Config } from '../core/config.js';
import type { Secrets } from '../core/ports/secrets.js';

export function stringToSign(path: string, query: Record<string, string>): string {
  const queryString = Object.entries(query)
    .filter(([name]) => name !== 'signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  return queryString ? `${path}?${queryString}` : path;
}

export function sign(secret: string, path: string, query: Record<string, string> = {}): string {
  return createHmac('sha256', secret).update(stringToSign(path, query)).digest('hex');
}

/** Reads the signing key: the JSON SecretString's `secretKey` field, as SIH does. */
export async function signingKey(secrets: Secrets, secretName: string, secretKey: string): Promise<string> {
  try {
    const value = (JSON.parse(await secrets.getSecret(secretName)) as Record<string, unknown>)[secretKey];
    if (typeof value !== 'string' || !value) throw new Error(`the secret has no "${secretKey}" field`);
    return value;
  } catch (error) {
    throw new ShutterError(500, 'SignatureValidationFailure', 'Signature validation failed.', { cause: error });
  }
}

export async function verifySignature(
  path: string,
  query: Record<string, string>,
  key: () => Promise<string>,
): Promise<void> {
  const signature = query.signature;
  if (!signature) {
    throw new RequestError('AuthorizationQueryParametersError', 'Query-string requires the signature parameter.');
  }
  // The string to sign joins decoded names and values with `&` and `=`; a name holding `&`/`=`
  // or a value holding `&` would let `?expires=…&width=1` be replayed as one parameter named
  // `expires=…&width` (same string, same signature, no expiry, no width). Such URLs are refused.
  if (Object.entries(query).some(([name, value]) => name !== 'signature' && (/[&=]/.test(name) || value.includes('&')))) {
    throw new AccessError('SignatureDoesNotMatch', 'Signature does not match: a signed query may not hold "&" in a name or value, nor "=" in a name.');
  }
  const expected = Buffer.from(sign(await key(), path, query), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AccessError('SignatureDoesNotMatch', 'Signature does not match.');
  }
}

/**
 * The signature check for a deployment: a no-op unless ENABLE_SIGNATURE is on. Every route that
 * reveals something about a stored image (the image itself, `/meta`) passes through it.
 */
export function signatureGuard(
  config: Pick<Config, 'signature'>,
  secrets: Secrets,
): (path: string, query: Record<string, string>) => Promise<void> {
  const { enabled, secretName, secretKey } = config.signature;
  if (!enabled) return async () => {};
  const key = () => signingKey(secrets, secretName!, secretKey!);
  return (path, query) => verifySignature(path, query, key);
}

/** Seconds until `expires`, or undefined when the URL has none. Throws when malformed or past. */
export function secondsToExpiry(query: Record<string, string>, now: Date): number | undefined {
  const expires = query.expires;
  if (expires === undefined) return undefined;
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(expires);
  const date = match ? new Date(Date.UTC(+match[1]!, +match[2]! - 1, +match[3]!, +match[4]!, +match[5]!, +match[6]!)) : undefined;
  const real = date && match && date.getUTCMonth() === +match[2]! - 1 && date.getUTCDate() === +match[3]! && +match[4]! < 24 && +match[5]! < 60 && +match[6]! < 60;
  if (!date || !real) {
    throw new RequestError(
      'ImageRequestExpiryFormat',
      'Request has invalid expires value. The expires query param should map to a real date and follow the following format: YYYYMMDDTHHmmssZ (Ex: Jan 2nd, 1970 at 12:03:04PM UTC becomes 19700102T120304Z).',
    );
  }
  if (date.getTime() < now.getTime()) throw new RequestError('ImageRequestExpired', 'Request has expired.');
  return Math.floor((date.getTime() - now.getTime()) / 1000);
}

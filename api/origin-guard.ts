/**
 * The image API answers only what comes through CloudFront (its cache, its WAF): CloudFront adds
 * the header {@link ORIGIN_HEADER} with a secret (Secrets Manager, named by ORIGIN_SECRET), and a
 * request without the right value gets 403 `CloudFront::Required` before any work is done.
 *
 * The secret is JSON, `{"current": "...", "previous": "..."}`: CloudFront sends `current`, and
 * `previous` stays accepted while a rotation reaches every edge (docs/deploy.md, "Rotating the
 * origin secret"). Values are compared in constant time; the Secrets adapter caches the secret
 * (5 minutes), so a hot Lambda does not call Secrets Manager per request.
 *
 * ORIGIN_SECRET may name several secrets, comma-separated: a DR standby accepts its own and the
 * primary's (replicated into its Region), since the primary's CloudFront fails over to it. A named
 * secret that cannot be read (a replica not created yet) only counts as holding nothing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AccessError } from '../core/errors.js';
import type { Secrets } from '../core/ports/secrets.js';
import { header, type HttpRequest } from './http.js';

/** The header CloudFront adds to every origin request (infra/image-delivery.ts). */
export const ORIGIN_HEADER = 'x-shutter-origin';

/** The secret's JSON keys: what CloudFront sends now, and what it sent before the last rotation. */
export const ORIGIN_SECRET_KEYS = ['current', 'previous'] as const;

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Equal in constant time, whatever the lengths (digests first, so timingSafeEqual never throws). */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The check for a deployment: a no-op without ORIGIN_SECRET (the local server, where no CDN
 * stands in front), otherwise a function that throws a 403 AccessError for a request that did
 * not come through CloudFront.
 */
export function originGuard(secretNames: string | undefined, secrets: Secrets): (request: HttpRequest) => Promise<void> {
  const names = (secretNames ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) return async () => undefined;
  const valuesOf = async (name: string): Promise<string[]> => {
    const stored = JSON.parse(await secrets.getSecret(name)) as Partial<Record<(typeof ORIGIN_SECRET_KEYS)[number], unknown>>;
    return ORIGIN_SECRET_KEYS.map((key) => stored[key]).filter((value): value is string => typeof value === 'string' && value.length > 0);
  };
  return async (request) => {
    const given = header(request, ORIGIN_HEADER);
    // The secrets are read even when the header is missing: the answer takes the same time either way.
    const [first, ...others] = names as [string, ...string[]];
    const accepted = [...(await valuesOf(first)), ...(await Promise.all(others.map((name) => valuesOf(name).catch(() => [])))).flat()];
    if (accepted.length === 0) throw new Error(`The origin secret ${first} holds no "current" value`);
    let matched = false;
    for (const value of accepted) matched = sameSecret(given ?? '', value) || matched;
    if (!given || !matched)
      throw new AccessError('CloudFront::Required', 'Requests to this API must come through its CloudFront distribution.');
  };
}

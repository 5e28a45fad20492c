/**
 * Delivery settings an operator changes at run time, without a deploy (as DIT v8's admin API):
 * - an **origin**: where images come from, a bucket (`s3`) or an HTTPS base URL (`https`);
 * - a **policy**: a named set of edits and output rules, with conditions on the request
 *   (Accept, DPR, viewport width, query parameters); the built-in presets are policies too;
 * - a **mapping**: a host and/or path prefix routed to an origin and a default policy, so one
 *   deployment serves several sites (multi-tenant by host).
 *
 * Stored behind the `SettingsStore` port (SQLite locally, DynamoDB in AWS), validated here, once,
 * by the same schemas the API and the image handler use.
 */
import * as z from './zod.js';
import { Edits } from './edits.js';
import { BucketName, Output } from './image-request.js';
import { LIMITS } from './limits.js';
import { isRemoteOrigin } from './origins.js';

export const SETTING_KINDS = ['origins', 'policies', 'mappings'] as const;
export type SettingKind = (typeof SETTING_KINDS)[number];

/** A setting's name: it appears in URLs (`?preset=`), API paths and logs. */
export const SettingName = z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, "-" or "_", at most 64'));

const HttpsBaseUrl = z.string().check(
  z.maxLength(512),
  z.refine((value: string) => {
    try {
      const url = new URL(value);
      return isRemoteOrigin(url.origin) && !url.search && !url.hash && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'an http(s) URL without query, fragment or credentials'),
);

export const OriginSetting = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('s3'), bucket: BucketName, description: z.optional(z.string().check(z.maxLength(500))) }),
  z.strictObject({
    type: z.literal('https'),
    /** Requests' keys are appended to this URL's path. */
    baseUrl: HttpsBaseUrl,
    description: z.optional(z.string().check(z.maxLength(500))),
    timeoutMs: z.optional(z.number().check(z.int(), z.gte(100), z.lte(LIMITS.originTimeoutMs * 3))),
    maxBytes: z.optional(z.number().check(z.int(), z.gte(1), z.lte(LIMITS.maxSourceBytes))),
  }),
]);
export type OriginSetting = z.infer<typeof OriginSetting>;

/** When a policy rule applies; every condition given must hold. */
export const PolicyCondition = z.strictObject({
  /** The client accepts one of these image formats. */
  accepts: z.optional(z.array(z.enum(['avif', 'webp'])).check(z.minLength(1))),
  /** The DPR client hint is at least this. */
  minDpr: z.optional(z.number().check(z.gte(1), z.lte(LIMITS.maxDpr))),
  /** The viewport-width client hint is at most this (CSS px). */
  maxViewportWidth: z.optional(z.number().check(z.int(), z.gte(1), z.lte(LIMITS.maxOutputDimension))),
  /** Query parameters with these exact values. */
  query: z.optional(z.record(z.string().check(z.maxLength(64)), z.string().check(z.maxLength(256)))),
});
export type PolicyCondition = z.infer<typeof PolicyCondition>;

const PartialEdits = Edits;
const PartialOutput = z.partial(Output);

export const PolicySetting = z.strictObject({
  description: z.optional(z.string().check(z.maxLength(500))),
  edits: z.optional(PartialEdits),
  output: z.optional(PartialOutput),
  /** The first rule whose conditions hold refines the edits and output; none: the policy as it is. */
  rules: z.optional(z.array(z.strictObject({ when: PolicyCondition, edits: z.optional(PartialEdits), output: z.optional(PartialOutput) })).check(z.maxLength(16))),
});
export type PolicySetting = z.infer<typeof PolicySetting>;

export const MappingSetting = z
  .strictObject({
    description: z.optional(z.string().check(z.maxLength(500))),
    /** The request's host, exactly (case-insensitive, without port), or `*.example.com`. */
    host: z.optional(z.string().check(z.regex(/^(\*\.)?[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i, 'a host name, or *.example.com'))),
    /** A path prefix, `/` and segments, that the request's path starts with; removed before decoding. */
    pathPrefix: z.optional(z.string().check(z.regex(/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/, 'a path prefix such as /shop'))),
    /** The origin (by name) that images of this mapping come from. */
    origin: SettingName,
    /** The policy (by name) applied when a URL names none. */
    policy: z.optional(SettingName),
  })
  .check(z.refine((mapping) => mapping.host !== undefined || mapping.pathPrefix !== undefined, 'a mapping needs a host, a path prefix or both'));
export type MappingSetting = z.infer<typeof MappingSetting>;

export const SETTING_SCHEMAS = { origins: OriginSetting, policies: PolicySetting, mappings: MappingSetting } as const;
export type SettingValue<K extends SettingKind> = z.infer<(typeof SETTING_SCHEMAS)[K]>;

/** What a policy's conditions read from a request. */
export interface RequestTraits {
  accepts: ReadonlyArray<'avif' | 'webp'>;
  dpr?: number;
  viewportWidth?: number;
  query: Readonly<Record<string, string>>;
}

export function conditionHolds(when: PolicyCondition, traits: RequestTraits): boolean {
  if (when.accepts && !when.accepts.some((format) => traits.accepts.includes(format))) return false;
  if (when.minDpr !== undefined && (traits.dpr ?? 1) < when.minDpr) return false;
  if (when.maxViewportWidth !== undefined && (traits.viewportWidth === undefined || traits.viewportWidth > when.maxViewportWidth)) return false;
  if (when.query && Object.entries(when.query).some(([name, value]) => traits.query[name] !== value)) return false;
  return true;
}

/** A policy's edits and output for one request: the base, refined by the first rule that holds. */
export function resolvePolicy(policy: PolicySetting, traits: RequestTraits): { edits: Edits; output: z.infer<typeof PartialOutput> } {
  const rule = policy.rules?.find((candidate) => conditionHolds(candidate.when, traits));
  return {
    edits: { ...policy.edits, ...rule?.edits },
    output: { ...policy.output, ...rule?.output },
  };
}

/**
 * The mapping for a request, the most specific first: host and prefix over host alone over prefix
 * alone; an exact host over a wildcard; a longer prefix over a shorter one. Undefined: no mapping.
 */
export function findMapping<M extends { host?: string | undefined; pathPrefix?: string | undefined }>(
  mappings: ReadonlyArray<{ name: string; value: M }>,
  host: string | undefined,
  path: string,
): { name: string; value: M } | undefined {
  const requestHost = host?.toLowerCase().replace(/:\d+$/, '');
  const hostScore = (pattern: string | undefined): number => {
    if (pattern === undefined) return 0;
    if (!requestHost) return -1;
    const wanted = pattern.toLowerCase();
    if (wanted.startsWith('*.')) return requestHost.endsWith(wanted.slice(1)) && requestHost.length > wanted.length - 1 ? 1 : -1;
    return wanted === requestHost ? 2 : -1;
  };
  const prefixScore = (prefix: string | undefined): number => {
    if (prefix === undefined) return 0;
    return path === prefix || path.startsWith(`${prefix}/`) ? prefix.length : -1;
  };
  let best: { name: string; value: M; score: [number, number] } | undefined;
  for (const mapping of mappings) {
    const byHost = hostScore(mapping.value.host);
    const byPrefix = prefixScore(mapping.value.pathPrefix);
    if (byHost < 0 || byPrefix < 0) continue;
    const score: [number, number] = [byHost, byPrefix];
    if (!best || score[0] > best.score[0] || (score[0] === best.score[0] && score[1] > best.score[1])) best = { ...mapping, score };
  }
  return best && { name: best.name, value: best.value };
}

/**
 * Delivery settings an operator changes at run time, without a deploy (as DIT v8's admin API):
 * - an **origin**: where images come from, a bucket (`s3`) or an HTTPS base URL (`https`);
 * - a **policy**: a named set of edits and output rules, with conditions on the request
 *   (Accept, DPR, viewport width, query parameters); the built-in presets are policies too;
 * - a **mapping**: a host and/or path prefix routed to an origin and a default policy, so one
 *   deployment serves several sites (multi-tenant by host).
 *
 * Stored behind the `SettingsStore` port (SQLite locally, DynamoDB in AWS), validated here, once,
 * when the console's API writes them; which mapping and policy a request gets is
 * `resolve-delivery.ts`'s, which the image path loads without these schemas.
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

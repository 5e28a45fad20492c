/**
 * The canonical image request: every door (SIH base64, Thumbor path, custom rewrite, query
 * form, workflow preset, CLI) decodes to this, and the pipeline sees nothing else.
 */
import { z } from 'zod';
import { Edits, FORMAT_OPTIONS, inInputOrder, OUTPUT_FORMATS } from './edits.js';
import { RequestError } from './errors.js';
import { LIMITS } from './limits.js';
import { REMOTE_ORIGIN } from './origins.js';

/** S3's bucket naming rules; local buckets follow them too, so a name can never be a path trick. */
export const BucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a valid S3 bucket name')
  .refine((name) => !name.includes('..'), 'a valid S3 bucket name');

/** An object key: any UTF-8 up to S3's 1024 bytes, but never empty and never a NUL. */
export const ObjectKey = z
  .string()
  .min(1)
  .refine((key) => Buffer.byteLength(key) <= 1024, 'at most 1024 bytes')
  .refine((key) => !key.includes('\0'), 'no NUL character');

/**
 * A key prefix (a listing, a backfill) is held to what a key may be, so that no prefix can name
 * a path outside its bucket on a disk: at most 1024 bytes, no NUL, not absolute (no leading `/`),
 * and no empty, `.` or `..` segment (a trailing `/` closes the prefix; it starts no segment).
 * The reason is given without echoing the prefix.
 */
export function keyPrefixProblem(prefix: string): string | undefined {
  if (Buffer.byteLength(prefix) > 1024) return 'a prefix is at most 1024 bytes';
  if (prefix.includes('\0')) return 'a prefix has no NUL character';
  if (prefix.startsWith('/')) return 'a prefix is relative to its bucket: it does not start with "/"';
  const segments = prefix.split('/');
  if (segments.slice(0, -1).includes('') || segments.some((segment) => segment === '.' || segment === '..')) {
    return 'a prefix has no empty, "." or ".." segment';
  }
  return undefined;
}

/** {@link keyPrefixProblem} as a schema (the backfill's input). */
export const KeyPrefix = z.string().superRefine((prefix, context) => {
  const problem = keyPrefixProblem(prefix);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

/** Checks a prefix before any listing: the one gate every listing passes (the local storage, the console, backfills). */
export function checkKeyPrefix(prefix: string): string {
  const problem = keyPrefixProblem(prefix);
  if (problem) throw new RequestError('Storage::InvalidPrefix', `The prefix is not valid: ${problem}.`);
  return prefix;
}

/** Where a source lives: a bucket, or a remote origin `https://host[:port]` (see `core/origins.ts`). */
export const SourceRef = z.strictObject({ bucket: z.union([BucketName, z.string().regex(REMOTE_ORIGIN, 'a remote origin')]), key: ObjectKey });
export type SourceRef = z.infer<typeof SourceRef>;

export const Output = z.strictObject({
  /** A concrete format, or undefined to keep the source's (after negotiation, see `negotiateFormat`). */
  format: z.enum(OUTPUT_FORMATS).optional(),
  /** Let the server pick the best format the client accepts (AUTO_WEBP / AVIF / `format=auto`). */
  auto: z.boolean().optional(),
  quality: z.number().int().min(1).max(100).optional(),
  /** Per-format encoder options, as SIH's `edits.jpeg`, `edits.webp`, ... */
  options: z.strictObject(Object.fromEntries(OUTPUT_FORMATS.map((f) => [f, FORMAT_OPTIONS[f].optional()]))).partial().optional(),
  /** Device pixel ratio: multiplies the requested width and height. */
  dpr: z.number().min(0.1).max(LIMITS.maxDpr).optional(),
  /** Keep EXIF/ICC/XMP in the output; stripped by default (privacy and bytes). */
  keepMetadata: z.boolean().optional(),
});
export type Output = z.infer<typeof Output>;

/** An HTTP header name (RFC 9110 token): anything else could not be sent, or would split the response. */
const HeaderName = z.string().max(64).regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'a header name (letters, digits and !#$%&\'*+.^_`|~-)');
/** A header value: visible characters, spaces and tabs only (no CR/LF, so no response splitting). */
const HeaderValue = z.string().max(1024).regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'a header value without control characters');

export const ImageRequest = z.strictObject({
  source: SourceRef,
  edits: Edits,
  output: Output,
  /** Response headers asked for by the request (SIH's `headers`), allow-listed by the handler. */
  headers: z.record(HeaderName, HeaderValue).optional(),
  /** Named preset this request came from, if any (presets-only mode admits only these). */
  preset: z.string().max(64).optional(),
});
export type ImageRequest = z.infer<typeof ImageRequest>;

/**
 * Validates an unknown value as an ImageRequest, or throws a RequestError whose message names
 * every problem with its path (e.g. `edits.resize.width: Too big`).
 */
export function parseImageRequest(value: unknown): ImageRequest {
  const result = ImageRequest.safeParse(value);
  if (result.success) return { ...result.data, edits: inInputOrder(result.data.edits, (value as { edits?: unknown }).edits) };
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(request)'}: ${issue.message}`);
  throw new RequestError('ImageEdits::InvalidEdit', `The image request is invalid: ${problems.join('; ')}.`);
}


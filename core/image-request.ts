/**
 * The canonical image request: every door (SIH base64, Thumbor path, custom rewrite, query
 * form, workflow preset, CLI) decodes to this, and the pipeline sees nothing else.
 */
import * as z from './zod.js';
import { Edits, FORMAT_OPTIONS, inInputOrder, OUTPUT_FORMATS } from './edits.js';
import { RequestError } from './errors.js';
import { LIMITS } from './limits.js';
import { REMOTE_ORIGIN } from './origins.js';

/** S3's bucket naming rules; local buckets follow them too, so a name can never be a path trick. */
export const BucketName = z.string().check(
  z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a valid S3 bucket name'),
  z.refine((name: string) => !name.includes('..'), 'a valid S3 bucket name'),
);

/** An object key: any UTF-8 up to S3's 1024 bytes, but never empty and never a NUL. */
export const ObjectKey = z.string().check(
  z.minLength(1),
  z.refine((key: string) => Buffer.byteLength(key) <= 1024, 'at most 1024 bytes'),
  z.refine((key: string) => !key.includes('\0'), 'no NUL character'),
);

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
export const KeyPrefix = z.string().check(z.superRefine((prefix: string, context) => {
  const problem = keyPrefixProblem(prefix);
  if (problem) context.addIssue({ code: 'custom', message: problem });
}));

/** Checks a prefix before any listing: the one gate every listing passes (the local storage, the console, backfills). */
export function checkKeyPrefix(prefix: string): string {
  const problem = keyPrefixProblem(prefix);
  if (problem) throw new RequestError('Storage::InvalidPrefix', `The prefix is not valid: ${problem}.`);
  return prefix;
}

/** Where a source lives: a bucket, or a remote origin `https://host[:port]` (see `core/origins.ts`). */
export const SourceRef = z.strictObject({ bucket: z.union([BucketName, z.string().check(z.regex(REMOTE_ORIGIN, 'a remote origin'))]), key: ObjectKey });
export type SourceRef = z.infer<typeof SourceRef>;

export const Output = z.strictObject({
  /** A concrete format, or undefined to keep the source's (after negotiation, see `negotiateFormat`). */
  format: z.optional(z.enum(OUTPUT_FORMATS)),
  /** Let the server pick the best format the client accepts (AUTO_WEBP / AVIF / `format=auto`). */
  auto: z.optional(z.boolean()),
  quality: z.optional(z.number().check(z.int(), z.gte(1), z.lte(100))),
  /** Per-format encoder options, as SIH's `edits.jpeg`, `edits.webp`, ... */
  options: z.optional(z.partial(z.strictObject(Object.fromEntries(OUTPUT_FORMATS.map((f) => [f, z.optional(FORMAT_OPTIONS[f])]))))),
  /** Device pixel ratio: multiplies the requested width and height. */
  dpr: z.optional(z.number().check(z.gte(0.1), z.lte(LIMITS.maxDpr))),
  /** Keep EXIF/ICC/XMP in the output; stripped by default (privacy and bytes). */
  keepMetadata: z.optional(z.boolean()),
});
export type Output = z.infer<typeof Output>;

/** An HTTP header name (RFC 9110 token): anything else could not be sent, or would split the response. */
const HeaderName = z.string().check(z.maxLength(64), z.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'a header name (letters, digits and !#$%&\'*+.^_`|~-)'));
/** A header value: visible characters, spaces and tabs only (no CR/LF, so no response splitting). */
const HeaderValue = z.string().check(z.maxLength(1024), z.regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'a header value without control characters'));

export const ImageRequest = z.strictObject({
  source: SourceRef,
  edits: Edits,
  output: Output,
  /** Response headers asked for by the request (SIH's `headers`), allow-listed by the handler. */
  headers: z.optional(z.record(HeaderName, HeaderValue)),
  /** Named preset this request came from, if any (presets-only mode admits only these). */
  preset: z.optional(z.string().check(z.maxLength(64))),
});
export type ImageRequest = z.infer<typeof ImageRequest>;

/**
 * Validates an unknown value as an ImageRequest, or throws a RequestError whose message names
 * every problem with its path (e.g. `edits.resize.width: Too big`).
 */
export function parseImageRequest(value: unknown): ImageRequest {
  const result = schemaFor(value).safeParse(value);
  if (result.success) return { ...result.data, edits: inInputOrder(result.data.edits, (value as { edits?: unknown }).edits) };
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(request)'}: ${issue.message}`);
  throw new RequestError('ImageEdits::InvalidEdit', `The image request is invalid: ${problems.join('; ')}.`);
}

/** Schemas for the sets of edit names seen, at most {@link MAX_EDIT_SETS} (clients choose the sets). */
const BY_EDIT_NAMES = new Map<string, typeof ImageRequest>();
const MAX_EDIT_SETS = 64;

/**
 * The request schema narrowed to the edits `value` names: the same answer and the same issues as
 * {@link ImageRequest}, whose edits object has ~60 optional keys that zod visits one by one, asked
 * for or not. Between two renders (libvips' threads have filled the CPU caches in between) that
 * visit cost a small render's main thread ~0.13 ms, 13× its cost in a tight loop, and a request
 * names one or two edits (bench/README.md, session 6). Anything unusual (no edits object, a name
 * the model does not know, more sets than are kept) takes the whole schema, so its issues are
 * zod's own.
 */
function schemaFor(value: unknown): typeof ImageRequest {
  const edits = typeof value === 'object' && value !== null ? (value as { edits?: unknown }).edits : undefined;
  if (typeof edits !== 'object' || edits === null || Array.isArray(edits)) return ImageRequest;
  const names: string[] = [];
  // As zod's strict check reads them (for…in), so a name it would refuse sends the request to the whole schema.
  for (const name in edits) {
    if (!Object.hasOwn(Edits.shape, name)) return ImageRequest;
    names.push(name);
  }
  const id = names.sort().join(',');
  let schema = BY_EDIT_NAMES.get(id);
  if (!schema) {
    if (BY_EDIT_NAMES.size >= MAX_EDIT_SETS) return ImageRequest;
    // In the model's key order, so the issues of several edits come in the same order as before.
    const mask = Object.fromEntries(Object.keys(Edits.shape).filter((name) => names.includes(name)).map((name) => [name, true])) as { [name in keyof Edits]?: true };
    schema = z.extend(ImageRequest, { edits: z.pick(Edits, mask) }) as unknown as typeof ImageRequest;
    BY_EDIT_NAMES.set(id, schema);
  }
  return schema;
}

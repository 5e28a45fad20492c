/**
 * The canonical image request: every door (SIH base64, Thumbor path, custom rewrite, query
 * form, workflow preset, CLI) decodes to this, and the pipeline sees nothing else.
 */
import * as z from './zod.js';
import { EDIT_NAMES, Edits, FORMAT_OPTIONS, inInputOrder, OUTPUT_FORMATS } from './edits.js';
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

/** Schemas for the sets of names seen (edits, output options, optional fields), at most {@link MAX_NAME_SETS} (clients choose the sets). */
const BY_NAMES = new Map<string, typeof ImageRequest>();
const MAX_NAME_SETS = 64;
/** The fields every request has: kept in a narrowed schema whether present or not, so a missing one is the same issue. */
const REQUIRED = new Set(['source', 'edits', 'output']);
/** The model's field names, in its key order (the edits' are {@link EDIT_NAMES}). */
const REQUEST_FIELDS: ReadonlySet<string> = new Set(Object.keys(ImageRequest.shape));
const OUTPUT_FIELDS: ReadonlySet<string> = new Set(Object.keys(Output.shape));

/**
 * The request schema narrowed to the edits, output options and optional fields `value` names: the
 * same answer and the same issues as {@link ImageRequest}, whose edits object has ~60 optional keys
 * (and its output 6) that zod visits one by one, asked for or not. Between two renders (libvips'
 * threads have filled the CPU caches in between) that visit cost a small render's main thread
 * ~0.13 ms, 13× its cost in a tight loop, and a request names one or two edits and an output format
 * (bench/README.md, sessions 6 and 7). Anything unusual (not an object, a name the model does not
 * know, more sets than are kept) takes the whole schema, so its issues are zod's own.
 */
function schemaFor(value: unknown): typeof ImageRequest {
  if (!isRecord(value)) return ImageRequest;
  const fields = namesIn(value, REQUEST_FIELDS);
  const edits = namesIn(value.edits, EDIT_NAMES);
  const output = namesIn(value.output, OUTPUT_FIELDS);
  if (!fields || !edits || !output) return ImageRequest;
  const id = `${fields.sort().join(',')}|${edits.sort().join(',')}|${output.sort().join(',')}`;
  let schema = BY_NAMES.get(id);
  if (!schema) {
    if (BY_NAMES.size >= MAX_NAME_SETS) return ImageRequest;
    // Masks in the model's key order, so the issues of several names come in the same order as before.
    const mask = (known: ReadonlySet<string>, names: string[]) => Object.fromEntries([...known].filter((name) => names.includes(name)).map((name) => [name, true] as const));
    const top = z.pick(ImageRequest, mask(REQUEST_FIELDS, [...REQUIRED, ...fields]) as { [name in keyof ImageRequest]?: true });
    schema = z.extend(top, {
      edits: z.pick(Edits, mask(EDIT_NAMES, edits) as { [name in keyof Edits]?: true }),
      output: z.pick(Output, mask(OUTPUT_FIELDS, output) as { [name in keyof Output]?: true }),
    }) as unknown as typeof ImageRequest;
    BY_NAMES.set(id, schema);
  }
  return schema;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The names of an object's keys, as zod's strict check reads them (for…in); undefined when one is not the model's, or for anything but an object. */
function namesIn(value: unknown, known: ReadonlySet<string>): string[] | undefined {
  if (!isRecord(value)) return undefined;
  const names: string[] = [];
  for (const name in value) {
    if (!known.has(name)) return undefined;
    names.push(name);
  }
  return names;
}

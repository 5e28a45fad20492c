/**
 * The OpenAPI 3.1 document of shutter's HTTP API, served at `/openapi.json`. Request schemas are
 * the very zod schemas the routes validate with (`z.toJSONSchema`), so the document cannot
 * promise what a route refuses; each operation names its route (`x-shutter-route`), and a test
 * checks that every route the router knows is documented and that every example validates.
 * Errors are SIH's JSON body with a stable `code`; each operation lists the codes it may answer.
 */
import { z } from 'zod';
import { SETTING_KINDS, SETTING_SCHEMAS } from '../../core/delivery-settings.js';
import { LIMITS } from '../../core/limits.js';
import { SignBody } from './console-routes.js';
import { Backfill, Decision, ListQuery } from './workflow-routes.js';

/** Routes the document leaves out on purpose, with why. */
export const UNDOCUMENTED_ROUTES: Record<string, string> = {
  'api-not-found': 'the catch-all that answers 404 Api::NoSuchRoute for any unknown /api/ path',
  preflight: 'CORS preflight (OPTIONS on any path), answered by the router itself',
};

type ZodObject = z.ZodObject<z.ZodRawShape>;

interface Operation {
  route: string;
  method: 'get' | 'put' | 'post' | 'delete';
  path: string;
  tag: 'Images' | 'Workflow' | 'Moderation' | 'Analytics' | 'Settings' | 'Console' | 'Operations';
  summary: string;
  /** Path parameters, by name, with their description. */
  params?: Record<string, string>;
  query?: ZodObject;
  body?: { schema: z.core.$ZodType; example: unknown; contentType?: string };
  ok: { status: number; description: string; contentType?: string; example?: unknown };
  /** The error codes this operation may answer, by HTTP status. */
  errors?: Array<[number, string]>;
  /** Behind the console's authentication (every `/api/` route but signing in and out). */
  auth?: boolean;
}

/**
 * The query of an image URL, as the query-parameter door (`api/doors/query-params.ts`) reads it.
 * Documentation only: that door parses by hand because SIH ignores malformed values rather than
 * refusing them, and shutter keeps that behaviour.
 */
const ImageQuery = z.object({
  format: z.enum(['auto', 'jpeg', 'jpg', 'png', 'webp', 'avif', 'gif', 'tiff', 'heif']).optional().describe('output format; `auto` negotiates from Accept'),
  width: z.number().int().positive().optional().describe('width in pixels (also `w`)'),
  height: z.number().int().positive().optional().describe('height in pixels (also `h`)'),
  fit: z.enum(['cover', 'contain', 'fill', 'inside', 'outside']).optional(),
  quality: z.number().int().min(1).max(100).optional().describe('output quality (also `q`)'),
  rotate: z.number().int().optional(),
  flip: z.boolean().optional(),
  flop: z.boolean().optional(),
  grayscale: z.boolean().optional(),
  dpr: z.number().gt(0).max(LIMITS.maxDpr).optional().describe('device pixel ratio, multiplies width and height'),
  preset: z.string().optional().describe('a named preset: thumbnail, small, medium, large, or one of PRESETS_FILE'),
  signature: z.string().optional().describe('HMAC-SHA256 of the path and query, when ENABLE_SIGNATURE=Yes'),
  expires: z.string().optional().describe('YYYYMMDDTHHmmssZ: the signed URL is refused after it'),
});
/** Documentation of the console's object listing and preview queries (the routes clamp bad values). */
const ObjectsQuery = z.object({
  prefix: z.string().optional(),
  cursor: z.string().optional(),
  limit: z.number().int().min(1).max(1000).optional().describe('default 100'),
});
const PreviewQuery = z.object({
  width: z.number().int().min(1).max(LIMITS.maxConsolePreviewSide).optional(),
  height: z.number().int().min(1).max(LIMITS.maxConsolePreviewSide).optional(),
});
const SignIn = z.union([z.strictObject({ token: z.string() }), z.strictObject({ user: z.string(), password: z.string() })]);

const SIGNATURE_ERRORS: Array<[number, string]> = [
  [400, 'AuthorizationQueryParametersError'],
  [403, 'SignatureDoesNotMatch'],
];
const IMAGE_ERRORS: Array<[number, string]> = [
  [400, 'DecodeRequest::CannotReadPath'],
  [400, 'ImageEdits::InvalidEdit'],
  ...SIGNATURE_ERRORS,
  [403, 'Preset::Required'],
  [404, 'NoSuchKey'],
  [413, 'ImageSource::TooManyPixels'],
  [415, 'ImageSource::UnsupportedFormat'],
  [422, 'ImageSource::CorruptImage'],
  [503, 'Server::Overloaded'],
  [503, 'Server::Timeout'],
  [503, 'Storage::Unavailable'],
];
const AUTH_ERRORS: Array<[number, string]> = [
  [401, 'Console::Unauthorized'],
  [403, 'Console::HostNotAllowed'],
  [403, 'Console::CrossSiteRequest'],
  [403, 'Console::CsrfTokenInvalid'],
  [403, 'Console::NotConfigured'],
];
const EXECUTION_ERRORS: Array<[number, string]> = [[404, 'ExecutionDoesNotExist']];
/** The path parameters every route on one execution or one stored object takes, described once. */
const EXECUTION_PARAMS = { id: 'the execution name or ARN' };
const OBJECT_PARAMS = { bucket: 'the bucket', key: 'the key, percent-encoded' };

/** The delivery settings (`settings-routes.ts`): one collection per kind, each value checked by its schema. */
const SETTINGS_OPERATIONS: Operation[] = SETTING_KINDS.flatMap((kind): Operation[] => {
  const one = { name: `the ${kind} setting's name (lower-case letters, digits, "-" or "_")` };
  const versionErrors: Array<[number, string]> = [[412, 'Settings::VersionMismatch']];
  return [
    { route: 'settings', method: 'get', path: `/api/${kind}`, tag: 'Settings', summary: `The ${kind} settings${kind === 'policies' ? ' (the built-in presets included, read-only)' : ''}`, ok: { status: 200, description: '`{ items }`' }, auth: true },
    { route: 'settings', method: 'get', path: `/api/${kind}/{name}`, tag: 'Settings', summary: `One ${kind} setting, its version as ETag`, params: one, ok: { status: 200, description: '`{ name, value, version, ... }`' }, errors: [[404, 'Settings::NotFound']], auth: true },
    {
      route: 'settings',
      method: 'put',
      path: `/api/${kind}/{name}`,
      tag: 'Settings',
      summary: `Create or replace a ${kind} setting (If-Match: its ETag; If-None-Match: * creates only)`,
      params: one,
      body: { schema: SETTING_SCHEMAS[kind], example: undefined },
      ok: { status: 200, description: 'the setting as saved (201 when created)' },
      errors: [[400, 'Settings::Invalid'], [400, 'Settings::UnknownReference'], [409, 'Settings::BuiltIn'], ...versionErrors],
      auth: true,
    },
    { route: 'settings', method: 'delete', path: `/api/${kind}/{name}`, tag: 'Settings', summary: `Delete a ${kind} setting no mapping uses`, params: one, ok: { status: 204, description: 'deleted' }, errors: [[404, 'Settings::NotFound'], [409, 'Settings::InUse'], [409, 'Settings::BuiltIn'], ...versionErrors], auth: true },
  ];
});

const OPERATIONS: Operation[] = [
  ...SETTINGS_OPERATIONS,
  {
    route: 'image',
    method: 'get',
    path: '/{path}',
    tag: 'Images',
    summary: 'An image, transformed as its URL says (SIH default, Thumbor, custom rewrite or query form)',
    params: { path: 'the key, a Thumbor path (`fit-in/300x300/filters:grayscale()/photo.jpg`) or base64 JSON `{"bucket","key","edits"}`' },
    query: ImageQuery,
    ok: { status: 200, description: 'the image (Vary: Accept when the format was negotiated); 304 on a matching If-None-Match', contentType: 'image/*' },
    errors: IMAGE_ERRORS,
  },
  {
    route: 'meta',
    method: 'get',
    path: '/meta/{path}',
    tag: 'Images',
    summary: "An image's metadata: dimensions, format, frames, EXIF summary, dominant colour, ThumbHash",
    params: { path: 'any image path the image route takes' },
    ok: { status: 200, description: 'the metadata', example: { bucket: 'images', key: 'astronaut.jpg', width: 512, height: 512, format: 'jpeg' } },
    errors: IMAGE_ERRORS,
  },
  {
    route: 'rendition',
    method: 'get',
    path: '/r/{key}',
    tag: 'Images',
    summary: "A rendition the bulk workflow wrote, as stored (a manifest entry's url); a key not in the renditions bucket goes on to the image route",
    params: { key: 'the rendition key, like photos/cat.jpg/small.webp' },
    query: z.object({ v: z.string().optional().describe("the source's content hash: makes the answer immutable") }),
    ok: { status: 200, description: 'the rendition; 206 for a byte range, 304 on a matching If-None-Match', contentType: 'image/*' },
    errors: [[400, 'DecodeRequest::CannotReadPath'], [404, 'NoSuchKey']],
  },
  { route: 'health', method: 'get', path: '/health', tag: 'Operations', summary: 'Readiness: 200 once ready, 503 while starting or draining', ok: { status: 200, description: 'ready', example: { status: 'ok' } } },
  { route: 'metrics', method: 'get', path: '/metrics', tag: 'Operations', summary: 'Prometheus metrics', ok: { status: 200, description: 'Prometheus text', contentType: 'text/plain' } },
  { route: 'openapi', method: 'get', path: '/openapi.json', tag: 'Operations', summary: 'This document', ok: { status: 200, description: 'OpenAPI 3.1' } },
  {
    route: 'upload',
    method: 'put',
    path: '/api/uploads/{key}',
    tag: 'Workflow',
    summary: 'Store an upload and start its workflow execution',
    params: { key: 'the upload key, percent-encoded; segments may not start with "_"' },
    body: { schema: z.string().describe('the image bytes'), example: undefined, contentType: 'application/octet-stream' },
    ok: { status: 202, description: 'the execution started (or found: `existing`), with Location', example: { executionArn: 'arn:aws:states:local:000000000000:execution:image:photo-jpg-1a2b3c', name: 'photo-jpg-1a2b3c', existing: false } },
    errors: [[400, 'Upload::InvalidKey'], [400, 'Upload::ReservedKey'], [400, 'Upload::EmptyBody'], [413, 'ImageSource::TooLarge'], [415, 'ImageSource::UnsupportedFormat']],
    auth: true,
  },
  {
    route: 'executions',
    method: 'get',
    path: '/api/executions',
    tag: 'Workflow',
    summary: 'Executions, newest first',
    query: ListQuery,
    ok: { status: 200, description: '`{ executions, cursor? }`', example: { executions: [] } },
    errors: [[400, 'Request::Invalid']],
    auth: true,
  },
  {
    route: 'execution',
    method: 'get',
    path: '/api/executions/{id}',
    tag: 'Workflow',
    summary: 'One execution with its state-by-state history (GetExecutionHistory shapes)',
    params: EXECUTION_PARAMS,
    ok: { status: 200, description: 'status, input, output, error, cause and `history`' },
    errors: EXECUTION_ERRORS,
    auth: true,
  },
  {
    route: 'redrive',
    method: 'post',
    path: '/api/executions/{id}/redrive',
    tag: 'Workflow',
    summary: 'Run a FAILED, ABORTED or TIMED_OUT execution again from where it failed',
    params: EXECUTION_PARAMS,
    ok: { status: 202, description: '`{ redriveDate }`' },
    errors: [...EXECUTION_ERRORS, [409, 'ExecutionNotRedrivable']],
    auth: true,
  },
  {
    route: 'stop',
    method: 'post',
    path: '/api/executions/{id}/stop',
    tag: 'Workflow',
    summary: 'Abort a queued or running execution',
    params: EXECUTION_PARAMS,
    ok: { status: 200, description: '`{ stopDate }`' },
    errors: EXECUTION_ERRORS,
    auth: true,
  },
  {
    route: 'decision',
    method: 'post',
    path: '/api/executions/{id}/decision',
    tag: 'Moderation',
    summary: 'Approve or reject a flagged image waiting for review',
    params: EXECUTION_PARAMS,
    body: { schema: Decision, example: { approved: true, note: 'a museum photograph' } },
    ok: { status: 202, description: 'the decision, sent to the waiting execution' },
    errors: [...EXECUTION_ERRORS, [404, 'TaskDoesNotExist'], [400, 'Request::Invalid'], [400, 'Request::InvalidJson']],
    auth: true,
  },
  {
    route: 'backfill',
    method: 'post',
    path: '/api/backfills',
    tag: 'Workflow',
    summary: 'Run the workflow for every upload under a prefix',
    body: { schema: Backfill, example: { prefix: 'photos/2024/', set: 'default' } },
    ok: { status: 202, description: 'the backfill execution, with a link to it' },
    errors: [[400, 'Request::Invalid'], [400, 'Request::InvalidJson']],
    auth: true,
  },
  { route: 'moderation-reviews', method: 'get', path: '/api/moderation/reviews', tag: 'Moderation', summary: 'Flagged images waiting for a decision, oldest first', ok: { status: 200, description: '`{ reviews, truncated? }`', example: { reviews: [] } }, auth: true },
  { route: 'analytics-index', method: 'get', path: '/api/analytics', tag: 'Analytics', summary: 'The named queries', ok: { status: 200, description: '`{ engine, queries: [{ name, title, description, url }] }`' }, auth: true },
  {
    route: 'analytics',
    method: 'get',
    path: '/api/analytics/{query}',
    tag: 'Analytics',
    summary: "A named query's rows",
    params: { query: 'the query name, like uploads_per_day' },
    ok: { status: 200, description: '`{ query, engine, columns, rows }`' },
    errors: [[404, 'Analytics::UnknownQuery']],
    auth: true,
  },
  { route: 'console-redirect', method: 'get', path: '/console', tag: 'Console', summary: 'Redirects to /console/', ok: { status: 301, description: 'to /console/' } },
  { route: 'console-page', method: 'get', path: '/console/{file}', tag: 'Console', summary: 'The console: its page and static files', params: { file: 'a file of the console bundle; empty for the page' }, ok: { status: 200, description: 'a static file', contentType: 'text/html' } },
  { route: 'console-session', method: 'get', path: '/api/console/session', tag: 'Console', summary: 'Who is signed in, the CSRF token, whether signatures are on, the buckets', ok: { status: 200, description: 'the session' }, auth: true },
  {
    route: 'console-session-sign-in',
    method: 'post',
    path: '/api/console/session',
    tag: 'Console',
    summary: 'Sign in: sets the session cookie',
    body: { schema: SignIn, example: { token: 'a-token-of-16-characters-or-more' } },
    ok: { status: 200, description: '`{ operator, csrfToken }`' },
    errors: [[401, 'Console::Unauthorized'], [429, 'Console::TooManySignInAttempts']],
  },
  { route: 'console-session-sign-out', method: 'delete', path: '/api/console/session', tag: 'Console', summary: 'Sign out', ok: { status: 204, description: 'signed out' } },
  {
    route: 'sign',
    method: 'post',
    path: '/api/sign',
    tag: 'Console',
    summary: 'Sign a URL with the server key (unsigned when ENABLE_SIGNATURE is off)',
    body: { schema: SignBody, example: { path: '/photo.jpg', query: { width: '400' } } },
    ok: { status: 200, description: '`{ signed, path, query, url }`', example: { signed: false, path: '/photo.jpg', query: { width: '400' }, url: '/photo.jpg?width=400' } },
    errors: [[400, 'Sign::InvalidRequest']],
    auth: true,
  },
  {
    route: 'bucket-objects',
    method: 'get',
    path: '/api/buckets/{bucket}/objects',
    tag: 'Console',
    summary: 'Objects of a source, uploads, renditions or quarantine bucket',
    params: { bucket: 'the bucket' },
    query: ObjectsQuery,
    ok: { status: 200, description: '`{ bucket, objects, cursor? }`' },
    errors: [[403, 'Console::BucketNotAllowed']],
    auth: true,
  },
  {
    route: 'bucket-object',
    method: 'get',
    path: '/api/buckets/{bucket}/objects/{key}',
    tag: 'Console',
    summary: 'One object as stored',
    params: OBJECT_PARAMS,
    ok: { status: 200, description: 'the bytes', contentType: 'application/octet-stream' },
    errors: [[403, 'Console::BucketNotAllowed'], [403, 'Console::ReservedKey'], [404, 'NoSuchKey']],
    auth: true,
  },
  {
    route: 'bucket-preview',
    method: 'get',
    path: '/api/buckets/{bucket}/previews/{key}',
    tag: 'Console',
    summary: 'A WebP preview of an object (at most 1600 px)',
    params: OBJECT_PARAMS,
    query: PreviewQuery,
    ok: { status: 200, description: 'a WebP image', contentType: 'image/webp' },
    errors: [[403, 'Console::BucketNotAllowed'], [404, 'NoSuchKey'], [422, 'ImageSource::CorruptImage']],
    auth: true,
  },
  {
    route: 'workflow-definition',
    method: 'get',
    path: '/api/workflows/{name}/definition',
    tag: 'Console',
    summary: "A workflow's ASL definition",
    params: { name: '`image` or `backfill`' },
    ok: { status: 200, description: 'the Amazon States Language definition' },
    errors: [[404, 'StateMachineDoesNotExist']],
    auth: true,
  },
];

const ErrorBody = {
  type: 'object',
  required: ['status', 'code', 'message'],
  properties: { status: { type: 'integer', minimum: 400, maximum: 599 }, code: { type: 'string' }, message: { type: 'string' } },
  additionalProperties: false,
} as const;

/** A zod schema as the JSON Schema of what a client sends (defaults are optional). */
function schemaOf(schema: z.core.$ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function queryParameters(query: ZodObject): unknown[] {
  const object = schemaOf(query) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return { name, in: 'query', required: object.required?.includes(name) ?? false, schema: rest, ...(description ? { description } : {}) };
  });
}

function errorResponses(errors: Array<[number, string]>): Record<string, unknown> {
  const byStatus = new Map<number, string[]>();
  for (const [status, code] of errors) byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, codes]) => [
      String(status),
      {
        description: codes.map((code) => `\`${code}\``).join(', '),
        content: {
          'application/json': {
            schema: { $ref: '#/components/schemas/Error' },
            examples: Object.fromEntries(codes.map((code) => [code.replace(/[^A-Za-z0-9_.-]/g, '_'), { value: { status, code, message: `(${code})` } }])),
          },
        },
      },
    ]),
  );
}

function operationOf(operation: Operation): Record<string, unknown> {
  const ok = operation.ok;
  const contentType = ok.contentType ?? 'application/json';
  const errors = [...(operation.auth ? AUTH_ERRORS : []), ...(operation.errors ?? [])];
  return {
    operationId: operation.route.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase()),
    summary: operation.summary,
    tags: [operation.tag],
    'x-shutter-route': operation.route,
    ...(operation.auth ? { security: [{ bearer: [] }, { basic: [] }, { session: [] }] } : { security: [] }),
    parameters: [
      ...Object.entries(operation.params ?? {}).map(([name, description]) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } })),
      ...(operation.query ? queryParameters(operation.query) : []),
    ],
    ...(operation.body
      ? {
          requestBody: {
            required: true,
            content: {
              [operation.body.contentType ?? 'application/json']: {
                schema: schemaOf(operation.body.schema),
                ...(operation.body.example !== undefined ? { example: operation.body.example } : {}),
              },
            },
          },
        }
      : {}),
    responses: {
      [String(ok.status)]: {
        description: ok.description,
        ...(ok.status === 204 || ok.status === 301 ? {} : { content: { [contentType]: { schema: contentType === 'application/json' ? { type: 'object' } : { type: 'string' }, ...(ok.example !== undefined ? { example: ok.example } : {}) } } }),
      },
      ...errorResponses(errors),
    },
  };
}

/** The contract's version: raise it when a route or schema changes in a way clients notice. */
export const API_VERSION = '1.0.0';

let cached: Record<string, unknown> | undefined;

/** The document; built once, it depends on nothing but the code. */
export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of OPERATIONS) (paths[operation.path] ??= {})[operation.method] = operationOf(operation);
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'shutter',
      version: API_VERSION,
      description: 'SIH-compatible on-demand image transforms, the bulk workflow and its operator API. Errors are `{ status, code, message }` with a stable `code`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    tags: ['Images', 'Workflow', 'Moderation', 'Analytics', 'Settings', 'Console', 'Operations'].map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: ErrorBody },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'CONSOLE_TOKEN' },
        basic: { type: 'http', scheme: 'basic', description: 'CONSOLE_USER / CONSOLE_PASSWORD' },
        session: { type: 'apiKey', in: 'cookie', name: 'shutter_console', description: 'the console session (POST /api/console/session)' },
      },
    },
  };
  return cached;
}

/**
 * The operator console's own routes: its page (`/console/`), its session, server-side URL
 * signing for the playground, and read access to the buckets an operator looks into (sources,
 * renditions, quarantine), with previews. The workflow, moderation and analytics routes live
 * with their capabilities; {@link guardConsoleApi} puts every `/api/` route behind the
 * console's authentication.
 *
 * | route | what |
 * | --- | --- |
 * | `GET /console/…` | the console (static files) |
 * | `GET /api/console/session` | who is signed in, the CSRF token, what this deployment offers |
 * | `POST /api/console/session` | sign in (`{token}` or `{user,password}`) → session cookie |
 * | `DELETE /api/console/session` | sign out |
 * | `POST /api/sign` | `{path, query}` → the same URL signed (when `ENABLE_SIGNATURE` is on) |
 * | `GET /api/buckets/<bucket>/objects?prefix=&cursor=&limit=` | list objects |
 * | `GET /api/buckets/<bucket>/objects/<key>` | an object, as stored |
 * | `GET /api/buckets/<bucket>/previews/<key>?width=&height=` | a WebP preview of an image |
 * | `GET /api/workflows/<name>/definition` | the workflow's ASL (`image`, `backfill`), to draw its graph |
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { Platform } from '../../core/compose.js';
import { AccessError, NotFoundError, RequestError } from '../../core/errors.js';
import { bareEtag } from '../../core/etag.js';
import { detectImageType, contentTypeOf } from '../../core/image-type.js';
import { checkKeyPrefix, parseImageRequest } from '../../core/image-request.js';
import { LIMITS } from '../../core/limits.js';
import { Semaphore } from '../../core/concurrency.js';
import { createConsoleFiles } from './static-files.js';
import type { ConsoleAuth, Operator } from './auth.js';
import { decodePathParam, json, type HttpRequest, type HttpResponse } from '../../api/http.js';
import { readJsonBody } from './read-json-body.js';
import type { Route } from '../../api/router.js';
import { sign, signingKey } from '../../api/signature.js';
import { BACKFILL_WORKFLOW_ASL } from '../../workflows/asl/backfill-workflow.asl.js';
import { IMAGE_WORKFLOW_ASL } from '../../workflows/asl/image-workflow.asl.js';
import { IMAGE_WORKFLOW } from '../../tasks/image-execution.js';
import { REVIEWS_PREFIX } from './moderation-routes.js';

/** Headers on every `/api/` answer: never cached by a shared cache, never run as a document. */
const API_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  // An object read back (an SVG in quarantine, say) can never run script if opened directly.
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
});

/** Buckets the console may read, by role. */
export interface ConsoleBuckets {
  /** The on-demand API's SOURCE_BUCKETS. */
  sources: readonly string[];
  /** Where the workflow's uploads land (its sources). */
  uploads: string;
  renditions: string;
  quarantine: string;
}

/** The workflows' definitions, as the local engine runs them and CDK deploys them. */
const DEFINITIONS: Readonly<Record<string, object>> = { [IMAGE_WORKFLOW]: IMAGE_WORKFLOW_ASL, backfill: BACKFILL_WORKFLOW_ASL };

/** Routes that answer without a session: signing in and out. They still refuse cross-site callers. */
const PUBLIC_ROUTES = new Set(['console-session-sign-in', 'console-session-sign-out', 'console-page', 'console-redirect']);

/**
 * Wraps routes so that any request under `/api/` passes the console's authentication first
 * (the operator is then on `request.operator`), and adds the API's security headers.
 */
export function guardConsoleApi(routes: Route[], auth: ConsoleAuth): Route[] {
  return routes.map((route) => ({ ...route, handle: guardHandler(route.name, route.handle, auth) }));
}

export function guardHandler<A extends unknown[]>(
  name: string,
  handle: (request: HttpRequest, ...rest: A) => Promise<HttpResponse>,
  auth: ConsoleAuth,
): (request: HttpRequest, ...rest: A) => Promise<HttpResponse> {
  return async (request, ...rest) => {
    if (!request.path.startsWith('/api/')) return handle(request, ...rest);
    let operator: Operator | undefined;
    if (!PUBLIC_ROUTES.has(name)) {
      const result = auth.authorize(request);
      if ('status' in result) return result;
      operator = result;
    }
    const response = await handle({ ...request, ...(operator ? { operator: operator.name } : {}) }, ...rest);
    response.headers = { 'Cache-Control': 'no-store', ...response.headers, ...API_HEADERS };
    return response;
  };
}

/** A catch-all so an unknown `/api/` path is a JSON 404 (after authentication), never an image lookup. */
export const apiNotFoundRoute: Route = {
  name: 'api-not-found',
  method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
  path: '/api/',
  handle: async (request) => {
    throw new NotFoundError('Api::NoSuchRoute', `There is no API route ${request.method} ${request.path}.`);
  },
};

export const SignBody = z.strictObject({
  path: z.string().startsWith('/').max(LIMITS.maxPathLength),
  query: z.record(z.string().max(64), z.string().max(4096)).default({}),
});

export function consoleRoutes(platform: Platform, auth: ConsoleAuth, buckets: ConsoleBuckets): Route[] {
  const { config, storage } = platform;
  const serveFile = createConsoleFiles(config.console.dir);
  const readable = new Set([...buckets.sources, buckets.uploads, buckets.renditions, buckets.quarantine]);
  // Previews share the machine with on-demand renders: one at a time, a short queue, then 503.
  const previews = new Semaphore(1, 16);

  const bucketOf = (name: string): string => {
    const bucket = decodePathParam(name, 'bucket name');
    if (!readable.has(bucket)) throw new AccessError('Console::BucketNotAllowed', `The console does not read bucket "${bucket}".`);
    return bucket;
  };
  const keyOf = (bucket: string, encoded: string): string => {
    const key = decodePathParam(encoded, 'object key');
    if (!key || key.length > 1024) throw new RequestError('Console::InvalidKey', 'An object key is 1 to 1024 characters.');
    // Review records hold task tokens: the moderation routes read them, a browser never does.
    if (bucket === buckets.quarantine && key.startsWith(REVIEWS_PREFIX)) {
      throw new AccessError('Console::ReservedKey', 'Review records are read through /api/moderation/reviews.');
    }
    return key;
  };

  return [
    {
      name: 'console-redirect',
      method: ['GET', 'HEAD'],
      path: '/console',
      handle: async () => ({ status: 301, headers: { Location: '/console/' } }),
    },
    {
      name: 'console-page',
      method: ['GET', 'HEAD'],
      path: /^\/console\/((?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_.-]*)$/,
      handle: async (request, [file = '']) => serveFile(request, file),
    },
    {
      name: 'console-session',
      method: 'GET',
      path: '/api/console/session',
      handle: async (request) =>
        json(200, {
          operator: request.operator,
          authRequired: config.console.authRequired,
          csrfToken: auth.csrfToken(request),
          signatureEnabled: config.signature.enabled,
          buckets,
          /** In AWS the console links each execution to the Step Functions console of this region. */
          aws: config.storage === 's3' || config.inLambda ? { region: config.region ?? null } : null,
        }),
    },
    {
      name: 'console-session-sign-in',
      method: 'POST',
      path: '/api/console/session',
      handle: async (request) => auth.signIn(request, await readJsonBody(request, LIMITS.consoleJsonBodyBytes)),
    },
    {
      name: 'console-session-sign-out',
      method: 'DELETE',
      path: '/api/console/session',
      handle: async (request) => auth.signOut(request),
    },
    {
      name: 'sign',
      method: 'POST',
      path: '/api/sign',
      handle: async (request) => {
        const parsed = SignBody.safeParse(await readJsonBody(request, LIMITS.consoleJsonBodyBytes));
        if (!parsed.success) throw new RequestError('Sign::InvalidRequest', `Send {"path": "/…", "query": {…}}: ${parsed.error.issues[0]?.message}`);
        const { path, query } = parsed.data;
        const { signature: _old, ...rest } = query;
        let signed = false;
        const finalQuery: Record<string, string> = { ...rest };
        if (config.signature.enabled) {
          const secret = await signingKey(platform.secrets, config.signature.secretName!, config.signature.secretKey!);
          finalQuery.signature = sign(secret, path, rest);
          signed = true;
        }
        const search = new URLSearchParams(finalQuery).toString();
        return json(200, { signed, path, query: finalQuery, url: search ? `${path}?${search}` : path });
      },
    },
    {
      name: 'bucket-objects',
      method: 'GET',
      path: /^\/api\/buckets\/([^/]+)\/objects$/,
      handle: async (request, [bucketName]) => {
        const bucket = bucketOf(bucketName!);
        const limit = Math.min(Math.max(Number(request.query.limit) || 100, 1), 1000);
        // Checked here, before any listing, whichever storage answers it (the local one checks again).
        const prefix = checkKeyPrefix(request.query.prefix ?? '');
        const { cursor } = request.query;
        if (cursor !== undefined && (cursor.length > 4096 || cursor.includes('\0'))) throw new RequestError('Console::InvalidCursor', 'A cursor is one a previous page returned.');
        const page = await storage.list(bucket, prefix, { limit, ...(cursor ? { cursor } : {}) });
        return json(200, {
          bucket,
          objects: page.objects.filter((object) => bucket !== buckets.quarantine || !object.key.startsWith(REVIEWS_PREFIX)).map((object) => ({
            key: object.key,
            size: object.size,
            lastModified: object.lastModified.toISOString(),
            etag: object.etag,
            ...(object.contentType ? { contentType: object.contentType } : {}),
          })),
          ...(page.cursor ? { cursor: page.cursor } : {}),
        });
      },
    },
    {
      name: 'bucket-object',
      method: ['GET', 'HEAD'],
      path: /^\/api\/buckets\/([^/]+)\/objects\/(.+)$/,
      handle: async (_request, [bucketName, encodedKey]) => {
        const bucket = bucketOf(bucketName!);
        // Streamed: an object of any size costs a few buffers of memory, not its size.
        const { info, stream } = await storage.openRead(bucket, keyOf(bucket, encodedKey!));
        const { head, body } = await peek(stream, SNIFF_BYTES);
        const detected = detectImageType(head);
        return {
          status: 200,
          headers: {
            'Content-Type': detected ? contentTypeOf(detected) : info.contentType ?? 'application/octet-stream',
            'Content-Length': String(info.size),
            ETag: info.etag,
            'Cache-Control': 'private, no-cache',
          },
          body,
        };
      },
    },
    {
      name: 'bucket-preview',
      method: 'GET',
      path: /^\/api\/buckets\/([^/]+)\/previews\/(.+)$/,
      handle: async (request, [bucketName, encodedKey]) => {
        const bucket = bucketOf(bucketName!);
        const key = keyOf(bucket, encodedKey!);
        const side = (name: string) => {
          const value = Number(request.query[name]);
          return Number.isInteger(value) && value > 0 ? Math.min(value, LIMITS.maxConsolePreviewSide) : undefined;
        };
        const width = side('width') ?? (side('height') ? undefined : 400);
        const height = side('height');
        const imageRequest = parseImageRequest({
          source: { bucket, key },
          edits: { resize: { ...(width ? { width } : {}), ...(height ? { height } : {}), fit: 'inside', withoutEnlargement: true } },
          output: { format: 'webp', quality: 75 },
        });
        // The source is read inside the slot: a queue of previews holds no image in memory.
        const { etag, rendered } = await previews.run(async () => {
          const source = await storage.get(bucket, key, { maxBytes: config.limits.maxSourceBytes });
          // The pipeline loads with the first preview: the console Lambda's start path holds none of it.
          const { renderImage } = await import('../../core/pipeline/render-image.js');
          const rendered = await renderImage(source.body, imageRequest, { storage, analyzer: platform.analyzer, limits: config.limits, allowedBuckets: [...readable] });
          return { etag: source.etag, rendered };
        });
        return {
          status: 200,
          headers: { 'Content-Type': 'image/webp', 'Cache-Control': 'private, max-age=60', ETag: `"${bareEtag(etag)}-${width ?? ''}x${height ?? ''}"` },
          body: rendered.data,
        };
      },
    },
    {
      name: 'workflow-definition',
      method: 'GET',
      path: /^\/api\/workflows\/([^/]+)\/definition$/,
      handle: async (_request, [name]) => {
        const workflow = decodePathParam(name!, 'workflow name');
        const definition = Object.hasOwn(DEFINITIONS, workflow) ? DEFINITIONS[workflow] : undefined;
        if (!definition) throw new NotFoundError('StateMachineDoesNotExist', `There is no workflow named "${workflow}".`);
        return json(200, definition, { 'Cache-Control': 'private, max-age=300' });
      },
    },
  ];
}

/** Enough of an object's first bytes to tell its type by its magic bytes. */
const SNIFF_BYTES = 1024;

/** The first `bytes` of a stream (fewer if it is shorter), and the whole stream, still unread, to send on. */
async function peek(stream: Readable, bytes: number): Promise<{ head: Buffer; body: Readable }> {
  const iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let seen = 0;
  let done = false;
  while (seen < bytes) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    seen += next.value.length;
  }
  const body = Readable.from(
    (async function* () {
      yield* chunks;
      if (!done) for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    })(),
    { objectMode: false },
  );
  body.once('close', () => void iterator.return?.());
  return { head: Buffer.concat(chunks).subarray(0, bytes), body };
}

/**
 * The bulk workflow's HTTP routes, added to the app before the image fallback:
 *
 * | route | answer |
 * | --- | --- |
 * | `PUT /api/uploads/<key>` (raw image body) | 202 `{ executionArn, name, status, existing, imageId }` |
 * | `GET /api/executions?status=&prefix=&limit=&cursor=&workflow=` | `{ executions, cursor? }`, newest first |
 * | `GET /api/executions/<name or ARN>` | the execution (status, input, output, error) and its `history` |
 * | `POST /api/executions/<id>/redrive` | 202 `{ redriveDate }` |
 * | `POST /api/executions/<id>/stop` | 200 `{ stopDate }` |
 * | `POST /api/executions/<id>/decision` `{ approved, note?, by? }` | 202: the operator's answer to a flagged image |
 * | `POST /api/backfills` `{ prefix?, set? }` | 202: runs the workflow for every upload under a prefix |
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { Config } from '../../core/config.js';
import { ImageError, NotFoundError, RequestError } from '../../core/errors.js';
import { contentTypeFromKey, contentTypeOf, detectImageType } from '../../core/image-type.js';
import { checkKeyPrefix } from '../../core/image-request.js';
import type { Storage } from '../../core/ports/storage.js';
import type { ExecutionStatus, WorkflowEngine } from '../../core/ports/workflow-engine.js';
import { reviewKey } from '../../tasks/quarantine.js';
import { IMAGE_WORKFLOW, executionNamePrefix, imageIdOf, type startImageExecution } from '../../tasks/image-execution.js';
import { decodePathParam, json, type HttpRequest } from '../../api/http.js';
import type { Route } from '../../api/router.js';

export interface WorkflowRoutesDeps {
  config: Readonly<Config>;
  storage: Storage;
  engine: WorkflowEngine;
  /** Starts (or finds) the execution of an object in the uploads bucket. */
  startUpload: (key: string, etag?: string) => ReturnType<typeof startImageExecution>;
}

const STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'] as const;
export const ListQuery = z.strictObject({
  status: z.enum(STATUSES).optional(),
  prefix: z.string().max(1024).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(4096).optional(),
  workflow: z.string().max(64).optional(),
});
export const Decision = z.strictObject({ approved: z.boolean(), note: z.string().max(2000).optional(), by: z.string().max(200).optional() });
export const Backfill = z.strictObject({ prefix: z.string().max(1024).default(''), set: z.string().max(64).optional() });

/** How far into an upload we look for its magic bytes before storing it. */
const SNIFF_BYTES = 1024;

export function workflowRoutes(deps: WorkflowRoutesDeps): Route[] {
  const { config, storage, engine } = deps;
  const uploads = config.workflow.buckets.uploads;

  const resolveArn = async (id: string): Promise<string> => {
    const decoded = decodePathParam(id, 'execution name');
    if (decoded.startsWith('arn:')) return decoded;
    for (const workflow of [IMAGE_WORKFLOW, 'backfill']) {
      const arn = engine.executionArn(workflow, decoded);
      const found = await engine.describe(arn).then(
        () => true,
        (error: unknown) => (error instanceof NotFoundError ? false : Promise.reject(error)),
      );
      if (found) return arn;
    }
    throw new NotFoundError('ExecutionDoesNotExist', `There is no execution named "${decoded}".`);
  };

  const upload: Route = {
    name: 'upload',
    method: 'PUT',
    path: /^\/api\/uploads\/(.+)$/,
    handle: async (request, [rawKey]) => {
      const key = decodeKey(rawKey!);
      if (key.split('/').some((segment) => segment.startsWith('_'))) {
        throw new RequestError('Upload::ReservedKey', 'Keys whose segments start with "_" are reserved.');
      }
      if (!request.body) throw new RequestError('Upload::EmptyBody', 'Send the image as the request body.');
      const declared = Number(request.headers['content-length']);
      if (declared > config.limits.maxSourceBytes) throw tooLarge(config.limits.maxSourceBytes);
      const sniffed = { type: undefined as string | undefined };
      const body = guardUpload(request.body, config.limits.maxSourceBytes, sniffed);
      const { etag } = await storage.put(uploads, key, body, { contentType: contentTypeFromKey(key) });
      const started = await deps.startUpload(key, etag);
      const location = `/api/executions/${started.name}`;
      return json(
        202,
        {
          executionArn: started.executionArn,
          name: started.name,
          existing: started.existing,
          imageId: imageIdOf(uploads, key),
          source: started.input.source,
          contentType: contentTypeOf(sniffed.type ?? ''),
          links: { execution: location },
        },
        { Location: location },
      );
    },
  };

  const list: Route = {
    name: 'executions',
    method: ['GET', 'HEAD'],
    path: '/api/executions',
    handle: async (request) => {
      const query = parse(ListQuery, request.query, 'query');
      const result = await engine.list({
        ...(query.status ? { status: query.status as ExecutionStatus } : {}),
        // Names are made of the key with other characters turned into "-": so is the prefix.
        ...(query.prefix ? { prefix: executionNamePrefix(query.prefix) + (/[^A-Za-z0-9_-]$/.test(query.prefix) ? '-' : '') } : {}),
        ...(query.limit ? { limit: query.limit } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
        ...(query.workflow ? { workflow: query.workflow } : {}),
      });
      return json(200, result, { 'Cache-Control': 'no-store' });
    },
  };

  const describe: Route = {
    name: 'execution',
    method: ['GET', 'HEAD'],
    path: /^\/api\/executions\/([^/]+)$/,
    handle: async (_request, [id]) => {
      const arn = await resolveArn(id!);
      const [execution, history] = await Promise.all([engine.describe(arn), engine.history(arn)]);
      return json(200, { ...execution, history: history.events, ...(history.cursor ? { historyCursor: history.cursor } : {}) }, { 'Cache-Control': 'no-store' });
    },
  };

  const redrive: Route = {
    name: 'redrive',
    method: 'POST',
    path: /^\/api\/executions\/([^/]+)\/redrive$/,
    handle: async (_request, [id]) => json(202, await engine.redrive(await resolveArn(id!))),
  };

  const stop: Route = {
    name: 'stop',
    method: 'POST',
    path: /^\/api\/executions\/([^/]+)\/stop$/,
    handle: async (_request, [id]) => json(200, await engine.stop(await resolveArn(id!), { error: 'Shutter.StoppedByOperator' })),
  };

  const decision: Route = {
    name: 'decision',
    method: 'POST',
    path: /^\/api\/executions\/([^/]+)\/decision$/,
    handle: async (request, [id]) => {
      const answer = parse(Decision, await readJson(request), 'body');
      const arn = await resolveArn(id!);
      const { name } = await engine.describe(arn);
      const record = await storage.get(config.workflow.buckets.quarantine, reviewKey(name)).catch((error: unknown) => {
        if (error instanceof NotFoundError) throw new NotFoundError('TaskDoesNotExist', `Execution ${name} is not waiting for a decision.`);
        throw error;
      });
      const { taskToken } = JSON.parse(record.body.toString('utf8')) as { taskToken: string };
      // The console's authenticated operator, when there is one, is who decided.
      await engine.sendTaskSuccess(taskToken, { ...answer, ...(request.operator ? { by: request.operator } : {}), decidedAt: new Date().toISOString() });
      return json(202, { executionArn: arn, decision: answer });
    },
  };

  const backfill: Route = {
    name: 'backfill',
    method: 'POST',
    path: '/api/backfills',
    handle: async (request) => {
      const body = parse(Backfill, await readJson(request), 'body');
      // Before the execution starts: a bad prefix is this request's 400, not a failed execution.
      checkKeyPrefix(body.prefix);
      const name = `${executionNamePrefix(body.prefix) || 'all'}-${Date.now()}`.slice(-80);
      const started = await engine.start('backfill', { name, input: { bucket: uploads, prefix: body.prefix, set: body.set ?? 'default' } });
      return json(202, { ...started, name, links: { execution: `/api/executions/${name}` } });
    },
  };

  return [upload, list, describe, redrive, stop, decision, backfill];
}

function decodeKey(raw: string): string {
  let key: string;
  try {
    key = decodeURIComponent(raw);
  } catch {
    throw new RequestError('Upload::InvalidKey', 'The key is not valid percent-encoded UTF-8.');
  }
  if (!key || Buffer.byteLength(key) > 1024 || key.includes('\0')) throw new RequestError('Upload::InvalidKey', 'The key must be 1 to 1024 bytes, without NUL.');
  return key;
}

function tooLarge(limit: number): ImageError {
  return new ImageError('ImageSource::TooLarge', `The upload is more than the limit of ${limit} bytes.`, 413);
}

/**
 * Passes the upload through to storage while checking it: the first bytes must be an image we
 * know, and the whole must stay under the size limit. Nothing is read until storage reads, and
 * a failure ends the stream with the error, so storage discards its temporary file: nothing
 * half-written ever lands in the bucket.
 */
function guardUpload(body: Buffer | Readable, maxBytes: number, sniffed: { type: string | undefined }): Readable {
  return Readable.from(
    (async function* () {
      let seen = 0;
      let head: Buffer | undefined = Buffer.alloc(0);
      const check = () => {
        const type = detectImageType(head!);
        head = undefined;
        if (!type || type === 'svg') throw new ImageError('ImageSource::UnsupportedFormat', 'The upload is not an image in a format the workflow renders.', 415);
        sniffed.type = type;
      };
      for await (const chunk of (Buffer.isBuffer(body) ? [body] : body) as AsyncIterable<Buffer>) {
        seen += chunk.length;
        if (seen > maxBytes) throw tooLarge(maxBytes);
        if (head) {
          head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES)]);
          if (head.length >= SNIFF_BYTES) check();
        }
        yield chunk;
      }
      if (head) check();
      if (seen === 0) throw new RequestError('Upload::EmptyBody', 'Send the image as the request body.');
    })(),
  );
}

async function readJson(request: HttpRequest): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (Buffer.isBuffer(request.body)) chunks.push(request.body);
  else if (request.body) {
    for await (const chunk of request.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 64 * 1024) throw new RequestError('Request::BodyTooLarge', 'The request body is over 64 KB.', 413);
      chunks.push(chunk);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestError('Request::InvalidJson', 'The request body is not valid JSON.');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || where}: ${issue.message}`);
  throw new RequestError('Request::Invalid', `The ${where} is invalid: ${problems.join('; ')}.`);
}

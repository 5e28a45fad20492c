/**
 * How an upload becomes an image workflow execution, for every trigger (upload route, watched
 * folder, CLI, backfill, S3 → EventBridge in AWS): the execution's input, and its name, derived
 * from bucket, key and ETag, so a repeated notification or upload of the same object starts
 * nothing new (Step Functions refuses a second execution of a name; the local engine returns
 * the existing one).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { NotFoundError } from '../core/errors.js';
import { quotedEtag } from '../core/etag.js';
import type { Storage } from '../core/ports/storage.js';
import type { StartResult, WorkflowEngine } from '../core/ports/workflow-engine.js';
import { SourceObject } from './task-input.js';

/** The workflow's name in the engine (the state machine's, in AWS config). */
export const IMAGE_WORKFLOW = 'image';

/** The image workflow's execution input: references only. */
export const ImageWorkflowInput = z.strictObject({
  imageId: z.string().min(1).max(128),
  source: SourceObject.required({ etag: true }),
  /** The rendition set to render. */
  set: z.string().max(64),
  /** Wait for an operator's decision when moderation flags the image. */
  review: z.boolean(),
});
export type ImageWorkflowInput = z.infer<typeof ImageWorkflowInput>;

/** An image's stable id: its bucket and key (a new version keeps the id; executions differ). */
export function imageIdOf(bucket: string, key: string): string {
  return `img_${createHash('sha256').update(`${bucket}/${key}`).digest('hex').slice(0, 24)}`;
}

/** The readable part of an execution name: the key with every other character turned into "-". */
export function executionNamePrefix(key: string): string {
  return key
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 47);
}

/**
 * `<key, made name-safe, ≤ 47 chars>-<32 hex of sha256(bucket, key, etag)>`: at most 80
 * characters of [A-Za-z0-9_-], as Step Functions requires, readable in a list, and the same
 * for the same object version however often it is announced.
 */
export function imageExecutionName(bucket: string, key: string, etag: string): string {
  const hash = createHash('sha256').update(`${bucket}\n${key}\n${quotedEtag(etag)}`).digest('hex').slice(0, 32);
  const prefix = executionNamePrefix(key);
  return prefix ? `${prefix}-${hash}` : hash;
}

export interface StartImageOptions {
  set?: string;
  review: boolean;
}

/** Starts (or finds) the execution for an object; reads its ETag when the trigger did not give one. */
export async function startImageExecution(
  engine: WorkflowEngine,
  storage: Storage,
  source: { bucket: string; key: string; etag?: string },
  options: StartImageOptions,
): Promise<StartResult & { name: string; input: ImageWorkflowInput }> {
  let etag = source.etag;
  if (!etag) {
    const info = await storage.head(source.bucket, source.key);
    if (!info) throw new NotFoundError('NoSuchKey', `The upload ${source.key} does not exist in bucket ${source.bucket}.`);
    etag = info.etag;
  }
  const input: ImageWorkflowInput = {
    imageId: imageIdOf(source.bucket, source.key),
    source: { bucket: source.bucket, key: source.key, etag: quotedEtag(etag) },
    set: options.set ?? 'default',
    review: options.review,
  };
  const name = imageExecutionName(source.bucket, source.key, etag);
  const started = await engine.start(IMAGE_WORKFLOW, { name, input });
  return { ...started, name, input };
}

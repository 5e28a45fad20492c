/**
 * ListUploads (backfill, local mode): one page of the objects under a prefix, small enough for
 * a state's 256 KB payload. In AWS the backfill reads the listing with a Distributed Map's
 * ItemReader instead.
 */
import { z } from 'zod';
import { BucketName, KeyPrefix } from '../core/image-request.js';
import type { TaskDeps } from './task-deps.js';
import { withTaskMiddleware } from './with-task-middleware.js';

/** Objects per page: 200 keys of up to 1 KB each stay well inside a state's 256 KB. */
const PAGE_SIZE = 200;

export const ListUploadsInput = z.object({
  bucket: BucketName,
  prefix: z._default(KeyPrefix, ''),
  /** Empty on the first page; the previous page's cursor after. */
  cursor: z.string().max(2048).default(''),
});
export type ListUploadsInput = z.infer<typeof ListUploadsInput>;

export interface ListUploadsOutput {
  objects: Array<{ key: string; etag: string; size: number }>;
  /** Empty on the last page. */
  cursor: string;
}

export async function run(input: ListUploadsInput, deps: TaskDeps): Promise<ListUploadsOutput> {
  const page = await deps.storage.list(input.bucket, input.prefix, { limit: PAGE_SIZE, ...(input.cursor ? { cursor: input.cursor } : {}) });
  return {
    objects: page.objects.filter((object) => !object.key.startsWith('_')).map((object) => ({ key: object.key, etag: object.etag, size: object.size })),
    cursor: page.cursor ?? '',
  };
}

export const handler = withTaskMiddleware(run, { task: 'list-uploads', input: ListUploadsInput });

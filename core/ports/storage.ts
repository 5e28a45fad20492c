import type { Readable } from 'node:stream';
import { ImageError } from '../errors.js';

/** What a storage backend knows about an object without reading it. */
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
  /** Quoted entity tag, as S3 returns it (`"…"`). Changes whenever the content changes. */
  etag: string;
  contentType?: string;
  cacheControl?: string;
  expires?: Date;
  metadata?: Record<string, string>;
}

export interface StoredObject extends ObjectInfo {
  body: Buffer;
}

/**
 * An object as an open, read-only file, for readers that can take a file rather than its bytes
 * (libvips reads a source itself, inside the render's own pool job: no Buffer, one trip through
 * libuv's pool fewer). Its facts are the open file's (fstat), as `get`'s are.
 */
export interface StoredFile extends ObjectInfo {
  /** The open descriptor. Valid only until the callback handed to `withFile` settles: never keep it. */
  readonly fd: number;
  /** The bytes, for what must see them (read once, on the first call; the same file as `fd`). */
  read(): Promise<Buffer>;
}

export interface PutOptions {
  contentType?: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
}

export interface ListPage {
  objects: ObjectInfo[];
  /** Pass back to `list` for the next page; absent on the last page. */
  cursor?: string;
}

/**
 * Where images live: a folder per bucket locally, S3 in AWS. Every adapter passes the same
 * contract suite (`test/core/storage-contract.ts`).
 *
 * Errors: a missing object is a `NotFoundError` (code `NoSuchKey`); an object over `maxBytes`
 * is an `ImageError` (`ImageSource::TooLarge`); a refused bucket or key is an `AccessError`;
 * passing faults are `TransientError`s.
 */
export interface Storage {
  get(bucket: string, key: string, options?: { maxBytes?: number; signal?: AbortSignal }): Promise<StoredObject>;
  /**
   * For storages whose objects are files (the local folders; S3 and HTTPS origins have none, and
   * leave it out): opens the object, checks it as `get` does (missing, `maxBytes`), and hands it
   * to `use` as the open file (a storage in front of several hands an object that is no file as
   * `get` returns it). The adapter closes the descriptor once `use`'s promise settles, whatever it
   * settles with, and after any `read` still in flight: the kernel reuses a closed descriptor's
   * number at once, so `use` must not settle while anything (a libvips job) may still open it.
   */
  withFile?<T>(bucket: string, key: string, options: { maxBytes?: number; signal?: AbortSignal }, use: (object: StoredFile | StoredObject) => Promise<T>): Promise<T>;
  /** Undefined when the object does not exist. */
  head(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  openRead(bucket: string, key: string): Promise<{ info: ObjectInfo; stream: Readable }>;
  /** Writes atomically: readers see the old object or the new one, never a half-written file. */
  put(bucket: string, key: string, body: Buffer | Readable, options?: PutOptions): Promise<{ etag: string }>;
  list(bucket: string, prefix?: string, options?: { cursor?: string; limit?: number }): Promise<ListPage>;
  delete(bucket: string, key: string): Promise<void>;
}

/**
 * The error every adapter throws for an object over `maxBytes` (and the image handler for one
 * whose size it already knows): one message and code whichever storage holds it.
 */
export function sourceTooLarge(key: string, size: number, maxBytes: number): ImageError {
  return new ImageError('ImageSource::TooLarge', `The source image ${key} is ${size} bytes, more than the limit of ${maxBytes} bytes.`, 413);
}

/** Every object under a prefix, page by page. */
export async function* listAll(storage: Storage, bucket: string, prefix = ''): AsyncGenerator<ObjectInfo> {
  let cursor: string | undefined;
  do {
    const page = await storage.list(bucket, prefix, cursor ? { cursor } : {});
    yield* page.objects;
    cursor = page.cursor;
  } while (cursor);
}

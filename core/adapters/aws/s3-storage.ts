import type {
  S3Client} from '@aws-sdk/client-s3';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { NotFoundError, type ShutterError } from '../../errors.js';
import { s3Error } from './s3-errors.js';
import { sourceTooLarge, type ListPage, type ObjectInfo, type PutOptions, type Storage, type StoredObject } from '../../ports/storage.js';

/** Storage on Amazon S3 (or any S3-compatible server, given an endpoint). */
export class S3Storage implements Storage {
  constructor(private readonly client: S3Client) {}

  async get(bucket: string, key: string, options: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<StoredObject> {
    const response = await this.send(
      () => this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: options.signal }),
      bucket,
      key,
    );
    const size = response.ContentLength ?? 0;
    if (options.maxBytes !== undefined && size > options.maxBytes) {
      (response.Body as Readable | undefined)?.destroy();
      throw sourceTooLarge(key, size, options.maxBytes);
    }
    const body = Buffer.from(await response.Body!.transformToByteArray());
    return { ...infoFrom(key, response), size: body.length, body };
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    try {
      const response = await this.send(() => this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), bucket, key);
      return infoFrom(key, response);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async openRead(bucket: string, key: string): Promise<{ info: ObjectInfo; stream: Readable }> {
    const response = await this.send(() => this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key })), bucket, key);
    return { info: infoFrom(key, response), stream: response.Body as Readable };
  }

  async put(bucket: string, key: string, body: Buffer | Readable, options: PutOptions = {}): Promise<{ etag: string }> {
    // Upload sends small bodies in one PutObject and large streams as a multipart upload;
    // either way S3 makes the object visible only once complete.
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: options.contentType,
        CacheControl: options.cacheControl,
        Metadata: options.metadata,
      },
    });
    const result = await this.send(() => upload.done(), bucket, key);
    return { etag: result.ETag ?? '' };
  }

  async list(bucket: string, prefix = '', options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    const response = await this.send(
      () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix || undefined,
            ContinuationToken: options.cursor,
            MaxKeys: options.limit,
          }),
        ),
      bucket,
      prefix,
    );
    const objects = (response.Contents ?? []).map((item) => ({
      key: item.Key!,
      size: item.Size ?? 0,
      lastModified: item.LastModified ?? new Date(0),
      etag: item.ETag ?? '',
    }));
    return response.IsTruncated && response.NextContinuationToken
      ? { objects, cursor: response.NextContinuationToken }
      : { objects };
  }

  async delete(bucket: string, key: string): Promise<void> {
    await this.send(() => this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })), bucket, key);
  }

  /** Runs an S3 call and maps its failures onto the project's errors. */
  private async send<T>(call: () => Promise<T>, bucket: string, key: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw mapS3Error(error, bucket, key);
    }
  }
}

function infoFrom(
  key: string,
  response: {
    ContentLength?: number;
    LastModified?: Date;
    ETag?: string;
    ContentType?: string;
    CacheControl?: string;
    Expires?: Date;
    Metadata?: Record<string, string>;
  },
): ObjectInfo {
  return {
    key,
    size: response.ContentLength ?? 0,
    lastModified: response.LastModified ?? new Date(0),
    etag: response.ETag ?? '',
    ...(response.ContentType ? { contentType: response.ContentType } : {}),
    ...(response.CacheControl ? { cacheControl: response.CacheControl } : {}),
    ...(response.Expires ? { expires: response.Expires } : {}),
    ...(response.Metadata && Object.keys(response.Metadata).length ? { metadata: response.Metadata } : {}),
  };
}

export function mapS3Error(error: unknown, bucket: string, key: string): ShutterError {
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  return s3Error({ name: (error as { name?: string }).name ?? '', ...(status ? { status } : {}), message: (error as Error).message, cause: error }, bucket, key);
}

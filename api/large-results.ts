/**
 * Results over Lambda's 6 MB response limit (SIH's most reported failure, 413
 * TooLargeImageException) are stored in the result bucket and answered with a redirect to a
 * short-lived presigned URL, so any size can be served through the same image URL.
 *
 * The S3 client and the presigner load with the first such result: every cold start would pay
 * for them otherwise (the image Lambda reads S3 without the client: core/adapters/aws/s3-signed-requests.ts).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Storage } from '../core/ports/storage.js';
import type { HttpResponse } from './http.js';

/** Where large results are kept in the result bucket (the stack grants the handler this prefix only). */
export const LARGE_RESULTS_PREFIX = 'results/';

/** How long the presigned link lives; the redirect itself is cached for less. */
const LINK_SECONDS = 3600;

export function largeResultStore(options: { storage: Storage; s3: () => S3Client | Promise<S3Client>; bucket: string }) {
  return async function storeLarge(body: Buffer, response: HttpResponse): Promise<HttpResponse> {
    const contentType = response.headers['Content-Type'] ?? 'application/octet-stream';
    const key = `${LARGE_RESULTS_PREFIX}${createHash('sha256').update(body).digest('hex')}`;
    await options.storage.put(options.bucket, key, body, { contentType, cacheControl: response.headers['Cache-Control'] ?? '' });
    const [{ GetObjectCommand }, { getSignedUrl }, s3] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner'), options.s3()]);
    const location = await getSignedUrl(s3, new GetObjectCommand({ Bucket: options.bucket, Key: key }), { expiresIn: LINK_SECONDS });
    return {
      status: 302,
      headers: { Location: location, 'Cache-Control': `max-age=${LINK_SECONDS / 2},public` },
    };
  };
}

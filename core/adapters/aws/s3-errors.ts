/**
 * S3's failures as the project's errors, one mapping for both ways shutter reads S3 (the S3
 * client in `s3-storage.ts`, the signed requests of `s3-signed-requests.ts`): a missing object is a
 * 404 `NoSuchKey` whichever of them asked.
 */
import { AccessError, NotFoundError, ShutterError, TransientError } from '../../errors.js';

/** What S3 answered (or what failed on the way): its error code or name, the HTTP status when there was one, its message. */
export interface S3Failure {
  name: string;
  status?: number;
  message: string;
  cause: unknown;
}

export function s3Error({ name, status, message, cause }: S3Failure, bucket: string, key: string): ShutterError {
  if (cause instanceof ShutterError) return cause;
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket')) {
    return new NotFoundError('NoSuchKey', `The image ${key} does not exist or the request may not be base64 encoded properly.`, { cause });
  }
  if (name === 'NoSuchBucket') {
    return new NotFoundError('NoSuchBucket', `The bucket ${bucket} does not exist.`, { cause });
  }
  if (name === 'AccessDenied' || status === 403) {
    return new AccessError('ImageBucket::CannotAccessBucket', `The bucket ${bucket} could not be accessed.`, 403, { cause });
  }
  if (name === 'AbortError') {
    return new TransientError('Storage::Aborted', `Reading ${key} was aborted.`, 503, { cause });
  }
  // Throttling, 5xx and network failures may pass: callers and Step Functions retry them.
  return new TransientError('Storage::Unavailable', `Storage failed for ${bucket}/${key}: ${message}`, 503, { cause });
}

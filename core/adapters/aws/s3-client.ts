/**
 * The S3 client every S3 adapter uses. Its own module so the AWS SDK loads only in a process that
 * talks to S3: the composition root imports the S3 storage adapter on first use.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../config.js';
import { LIMITS } from '../../limits.js';

export function s3Client(config: Pick<Config, 'region' | 's3Endpoint'> & { limits?: Pick<Config['limits'], 'storageTimeoutMs'> }): S3Client {
  const timeoutMs = config.limits?.storageTimeoutMs ?? LIMITS.storageTimeoutMs;
  return new S3Client({
    ...(config.region ? { region: config.region } : {}),
    // Without timeouts a stalled S3 connection holds the request until the client gives up;
    // with them, the SDK retries (standard mode) and then fails with a TransientError (503).
    // (throwOnRequestTimeout: without it the handler only logs a warning when the time is up.)
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
    maxAttempts: LIMITS.storageMaxAttempts,
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {}),
  });
}

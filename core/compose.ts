/**
 * The composition root: picks each port's adapter from config. The only module that knows
 * which adapters exist; AWS SDK clients are created here and nowhere else.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import path from 'node:path';
import { S3Storage } from './adapters/aws/s3-storage.js';
import { SecretsManagerSecrets } from './adapters/aws/secrets-manager-secrets.js';
import { AttentionAnalyzer } from './adapters/local/attention-analyzer.js';
import { FileSecrets } from './adapters/local/file-secrets.js';
import { FsStorage } from './adapters/local/fs-storage.js';
import type { Config } from './config.js';
import { LIMITS } from './limits.js';
import { configureSharp } from './pipeline/sharp-factory.js';
import type { Analyzer } from './ports/analyzer.js';
import type { Secrets } from './ports/secrets.js';
import type { Storage } from './ports/storage.js';
import { loadPresets, type PresetCatalog } from './presets.js';

export interface Platform {
  config: Readonly<Config>;
  storage: Storage;
  analyzer: Analyzer;
  secrets: Secrets;
  presets: Readonly<PresetCatalog>;
}

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

export function createPlatform(config: Readonly<Config>): Platform {
  configureSharp({ concurrency: config.sharpConcurrency });
  const storage: Storage =
    config.storage === 's3' ? new S3Storage(s3Client(config)) : new FsStorage(path.join(config.dataDir, 'buckets'));
  const secrets: Secrets = config.inLambda
    ? new SecretsManagerSecrets(new SecretsManagerClient(config.region ? { region: config.region } : {}))
    : new FileSecrets(path.join(config.dataDir, 'secrets'));
  return { config, storage, analyzer: new AttentionAnalyzer(), secrets, presets: loadPresets(config.presetsFile) };
}

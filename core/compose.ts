/**
 * The composition root: picks each port's adapter from config. The only module that knows
 * which adapters exist; AWS SDK clients are created here and nowhere else.
 */
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import path from 'node:path';
import { RekognitionAnalyzer } from './adapters/aws/rekognition-analyzer.js';
import { S3Storage } from './adapters/aws/s3-storage.js';
import { SecretsManagerSecrets } from './adapters/aws/secrets-manager-secrets.js';
import { CachingAnalyzer } from './adapters/caching-analyzer.js';
import { AttentionAnalyzer } from './adapters/local/attention-analyzer.js';
import { FileSecrets } from './adapters/local/file-secrets.js';
import { FsStorage } from './adapters/local/fs-storage.js';
import { LocalAnalyzer } from './adapters/local/local-analyzer.js';
import type { Config } from './config.js';
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

export function s3Client(config: Pick<Config, 'region' | 's3Endpoint'>): S3Client {
  return new S3Client({
    ...(config.region ? { region: config.region } : {}),
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
  return { config, storage, analyzer: createAnalyzer(config), secrets, presets: loadPresets(config.presetsFile) };
}

/**
 * The analyzer named by ANALYZER, behind the content-hash cache. Local models are not loaded here:
 * LocalAnalyzer loads them on first use, so a process that never analyses never pays for them.
 */
export function createAnalyzer(config: Readonly<Config>): Analyzer {
  const limits = config.limits;
  let analyzer: Analyzer;
  switch (config.analysis.analyzer) {
    case 'rekognition':
      analyzer = new RekognitionAnalyzer(
        // The adapter retries throttling itself; the SDK's own retries would multiply its attempts.
        new RekognitionClient({ ...(config.region ? { region: config.region } : {}), maxAttempts: 1 }),
        { readFromS3: config.storage === 's3', limits },
      );
      break;
    case 'attention':
      analyzer = new AttentionAnalyzer(limits);
      break;
    default:
      analyzer = new LocalAnalyzer({ limits, faceModel: config.analysis.localFaceModel === 'tiny' ? 'tiny_face_detector' : 'ssd_mobilenetv1' });
  }
  return new CachingAnalyzer(analyzer, {
    entries: config.analysis.cacheEntries,
    ...(config.analysis.cacheDir ? { directory: config.analysis.cacheDir } : {}),
  });
}

/**
 * The composition root: picks each port's adapter from config. The only module that knows
 * which adapters exist; AWS SDK clients are created here and nowhere else.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import path from 'node:path';
import { TABLES } from '../analytics/tables.js';
import { AthenaQueryEngine } from './adapters/aws/athena-query-engine.js';
import { KafkaEventSink } from './adapters/aws/kafka-event-sink.js';
import { DuckDbQueryEngine } from './adapters/local/duckdb-query-engine.js';
import { DiskOutbox } from './adapters/local/disk-outbox.js';
import { JsonlEventSink } from './adapters/local/jsonl-event-sink.js';
import { RekognitionAnalyzer } from './adapters/aws/rekognition-analyzer.js';
import { S3Storage } from './adapters/aws/s3-storage.js';
import { SecretsManagerSecrets } from './adapters/aws/secrets-manager-secrets.js';
import { CachingAnalyzer } from './adapters/caching-analyzer.js';
import { LakeEventSink } from './adapters/lake-event-sink.js';
import { ConfigError } from './errors.js';
import { AttentionAnalyzer } from './adapters/local/attention-analyzer.js';
import { FileSecrets } from './adapters/local/file-secrets.js';
import { FsStorage } from './adapters/local/fs-storage.js';
import { HttpsOriginStorage } from './adapters/https/https-origin-storage.js';
import { OriginRoutedStorage } from './adapters/origin-routed-storage.js';
import { LocalAnalyzer } from './adapters/local/local-analyzer.js';
import type { Config } from './config.js';
import { setLogLevel } from './observability/logger.js';
import { LIMITS } from './limits.js';
import { configureSharp } from './pipeline/sharp-factory.js';
import type { Analyzer } from './ports/analyzer.js';
import type { EventSink } from './ports/event-sink.js';
import type { QueryEngine } from './ports/query-engine.js';
import type { Secrets } from './ports/secrets.js';
import type { SettingsStore } from './ports/settings-store.js';
import type { Storage } from './ports/storage.js';
import type { WorkflowEngine } from './ports/workflow-engine.js';
import { SfnWorkflowEngine } from './adapters/aws/sfn-workflow-engine.js';
import { SFNClient } from '@aws-sdk/client-sfn';
import { loadPresets, type PresetCatalog } from './presets.js';
import { loadRenditionSets, type RenditionSets } from './renditions.js';

export interface Platform {
  config: Readonly<Config>;
  storage: Storage;
  analyzer: Analyzer;
  secrets: Secrets;
  presets: Readonly<PresetCatalog>;
  /** Where events go: Kafka when KAFKA_BROKERS is set, else the lake when LAKE_BUCKET is, else JSON lines (see {@link createEventSink}). */
  events: EventSink;
  /** Delivery settings changed at run time (origins, policies, mappings); undefined where there is nowhere to keep them. */
  settings?: SettingsStore;
  /** The bulk workflow's rendition sets (RENDITIONS_FILE over the built-in `default`). */
  renditions: Readonly<RenditionSets>;
  /**
   * Step Functions, when WORKFLOW_ENGINE is `stepfunctions`. The local engine needs the task
   * functions, so `workflows/local-runtime.ts` builds it over this platform instead.
   */
  workflows?: WorkflowEngine;
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

/**
 * Builds the platform from config. `overrides` lets a caller (a test, or a command that owns
 * another adapter) pass an adapter in place of the one config would pick.
 */
export function createPlatform(config: Readonly<Config>, overrides: Partial<Omit<Platform, 'config'>> = {}): Platform {
  configureSharp({ concurrency: config.sharpConcurrency });
  setLogLevel(config.logLevel);
  const storage: Storage = overrides.storage ?? createStorage(config);
  const secrets: Secrets = overrides.secrets ?? createSecrets(config);
  const events: EventSink = overrides.events ?? createEventSink(config, storage);
  const settings = overrides.settings ?? createSettingsStore(config);
  return {
    config,
    storage,
    analyzer: overrides.analyzer ?? createAnalyzer(config),
    secrets,
    presets: overrides.presets ?? loadPresets(config.presetsFile),
    events,
    renditions: overrides.renditions ?? loadRenditionSets(config.workflow.renditionsFile),
    ...(settings ? { settings } : {}),
    ...(overrides.workflows
      ? { workflows: overrides.workflows }
      : config.workflow.engine === 'stepfunctions' && config.workflow.stateMachineArns.image
        ? { workflows: new SfnWorkflowEngine(new SFNClient(config.region ? { region: config.region } : {}), config.workflow.stateMachineArns) }
        : {}),
  };
}

/** Buckets on S3 or on disk, and remote origins beside them when SOURCE_URLS names any. */
export function createStorage(config: Readonly<Config>): Storage {
  const buckets = config.storage === 's3' ? new S3Storage(s3Client(config)) : new FsStorage(path.join(config.dataDir, 'buckets'));
  if (config.origins.allow.length === 0) return buckets;
  const origins = new HttpsOriginStorage({ timeoutMs: config.origins.timeoutMs, maxBytes: config.limits.maxSourceBytes, allowPrivate: config.origins.allowPrivate });
  return new OriginRoutedStorage(buckets, origins);
}

/**
 * The settings store: DynamoDB (SETTINGS_TABLE) or SQLite under the data folder, opened on first
 * use, so a process that never reads a setting loads neither (nor the DynamoDB client).
 */
export function createSettingsStore(config: Readonly<Config>): SettingsStore | undefined {
  const { store, location } = config.settings;
  if (store === 'none') return undefined;
  let opened: Promise<SettingsStore> | undefined;
  const open = () =>
    (opened ??=
      store === 'dynamodb'
        ? Promise.all([import('@aws-sdk/client-dynamodb'), import('./adapters/aws/dynamodb-settings-store.js')]).then(
            ([{ DynamoDBClient }, { DynamoDbSettingsStore }]) => new DynamoDbSettingsStore(new DynamoDBClient(config.region ? { region: config.region } : {}), location),
          )
        : import('./adapters/local/sqlite-settings-store.js').then(({ SqliteSettingsStore }) => new SqliteSettingsStore(location)));
  return {
    list: async (...args) => (await open()).list(...args),
    get: async (...args) => (await open()).get(...args),
    put: async (...args) => (await open()).put(...args),
    delete: async (...args) => (await open()).delete(...args),
  };
}

/** Secrets Manager in Lambda, else `$SHUTTER_DATA_DIR/secrets/<name>.json`. */
export function createSecrets(config: Pick<Config, 'inLambda' | 'region' | 'dataDir'>): Secrets {
  return config.inLambda
    ? new SecretsManagerSecrets(new SecretsManagerClient(config.region ? { region: config.region } : {}))
    : new FileSecrets(path.join(config.dataDir, 'secrets'));
}

/** kafkajs' connection retries: ~1.5 s in all, then the caller (the outbox sender) backs off. */
export const KAFKA_CLIENT_RETRY = { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 };

/**
 * A Kafka client for the configured brokers: TLS when asked, and Amazon MSK IAM auth as SASL
 * OAUTHBEARER with a token signed by `aws-msk-iam-sasl-signer-js` from the default credential
 * chain (kafkajs asks for a new token before the old one expires).
 */
export function kafkaClient(kafka: NonNullable<Config['events']['kafka']>, region: string | undefined): Kafka {
  return new Kafka(kafkaConfig(kafka, region));
}

/** The kafkajs settings behind {@link kafkaClient}. */
export function kafkaConfig(kafka: NonNullable<Config['events']['kafka']>, region: string | undefined): KafkaConfig {
  return {
    clientId: kafka.clientId,
    brokers: [...kafka.brokers],
    ssl: kafka.tls,
    ...(kafka.sasl === 'iam'
      ? {
          sasl: {
            mechanism: 'oauthbearer' as const,
            oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region: region! })).token }),
          },
        }
      : {}),
    // Few, short retries inside kafkajs: a longer outage is the outbox's to ride out, with its own backoff.
    retry: KAFKA_CLIENT_RETRY,
    // The sink logs delivery failures itself (with the outbox's state); kafkajs' own retry chatter would drown them.
    logLevel: logLevel.NOTHING,
  };
}

/**
 * Where events go, one decision for every process:
 * - KAFKA_BROKERS set: Kafka through the on-disk outbox (`/tmp` in Lambda);
 * - else LAKE_BUCKET set: straight to the lake through `storage` (S3 in AWS), one object per
 *   batch: Lambda with streaming off, whose task root is read-only;
 * - else, outside Lambda: JSON lines under the data folder (the local default);
 * - else (Lambda with neither): a sink that refuses every publish with a ConfigError naming the
 *   missing setting, rather than writing under the read-only task root.
 */
export function createEventSink(config: Readonly<Config>, storage: Storage): EventSink {
  const { events } = config;
  if (events.kafka) {
    return new KafkaEventSink({
      kafka: kafkaClient(events.kafka, config.region),
      topic: events.kafka.topic,
      outbox: new DiskOutbox({ dir: events.outboxDir, maxBytes: events.outboxMaxBytes }),
    });
  }
  if (events.lakeBucket) return new LakeEventSink({ storage, bucket: events.lakeBucket, prefix: events.lakePrefix });
  if (!config.inLambda) return new JsonlEventSink({ dir: events.dir });
  const missing = new ConfigError(['events: in Lambda, set KAFKA_BROKERS (streaming) or LAKE_BUCKET (the lake); the task root is read-only']);
  return { publish: () => Promise.reject(missing), flush: () => Promise.resolve(), close: () => Promise.resolve() };
}

/** Athena (in the configured workgroup) when QUERY_ENGINE is athena, else DuckDB over `$SHUTTER_DATA_DIR/events`. */
export function createQueryEngine(config: Readonly<Config>): QueryEngine {
  const { analytics } = config;
  if (analytics.engine === 'athena') {
    return new AthenaQueryEngine({
      client: new AthenaClient(config.region ? { region: config.region } : {}),
      workgroup: analytics.athena.workgroup!,
      database: analytics.athena.database,
      catalog: analytics.athena.catalog,
      outputLocation: analytics.athena.outputLocation,
    });
  }
  return new DuckDbQueryEngine({ root: config.dataDir, tables: TABLES });
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

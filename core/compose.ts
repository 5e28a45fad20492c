/**
 * The composition root: picks each port's adapter from config. The only module that knows
 * which adapters exist; AWS SDK clients are created here and in the adapters' own factories.
 *
 * Adapters are imported on first use (`lazyAdapter`): S3, Kafka, Step Functions, Athena, DuckDB,
 * Rekognition, Secrets Manager, the local event log and the local secrets files each load only in
 * the process that calls them, and each is its own chunk in the Lambda bundles and the CLI
 * (esbuild splitting), so the image Lambda's start path holds none of them but S3's client
 * (test/scripts/lambda-bundles.test.ts checks it) and `shutter serve` on local folders loads
 * none of the cloud ones.
 */
import path from 'node:path';
import type { SignedS3Operations } from './adapters/aws/s3-signed-requests.js';
import { executionArnOf } from './adapters/aws/sfn-arns.js';
import { CachingAnalyzer } from './adapters/caching-analyzer.js';
import { LakeEventSink } from './adapters/lake-event-sink.js';
import { lazyAdapter, type LazyShape } from './adapters/lazy-adapter.js';
import { ConfigError } from './errors.js';
import { DEFAULTS } from './limits.js';
import { packageVersion } from './adapters/local/model-runtime.js';
import { OriginRoutedStorage } from './adapters/origin-routed-storage.js';
import type { Config } from './config.js';
import { setLogLevel } from './observability/logger.js';
import { configureSharp } from './pipeline/sharp-factory.js';
import type { Analyzer } from './ports/analyzer.js';
import type { EventSink } from './ports/event-sink.js';
import type { QueryEngine, TableDefinition } from './ports/query-engine.js';
import type { Secrets } from './ports/secrets.js';
import type { SettingsStore } from './ports/settings-store.js';
import type { Storage } from './ports/storage.js';
import type { WorkflowEngine } from './ports/workflow-engine.js';
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
        ? { workflows: stepFunctionsEngine(config) }
        : {}),
  };
}

/** Buckets on S3 or on disk, and remote origins beside them when SOURCE_URLS names any. */
export function createStorage(config: Readonly<Config>): Storage {
  const buckets = config.storage === 's3' ? s3Storage(config) : fsStorage(path.join(config.dataDir, 'buckets'));
  if (config.origins.allow.length === 0) return buckets;
  const options = { timeoutMs: config.origins.timeoutMs, maxBytes: config.limits.maxSourceBytes, allowPrivate: config.origins.allowPrivate };
  // The HTTPS client (with its DNS and address checks) loads with the first remote source.
  const origins = lazyAdapter<Omit<Storage, 'withFile'>>(async () => new (await import('./adapters/https/https-origin-storage.js')).HttpsOriginStorage(options), STORAGE_LOADS);
  return new OriginRoutedStorage(buckets, origins);
}

/** Step Functions for the configured state machines; its client loads on the first call. */
function stepFunctionsEngine(config: Readonly<Config>): WorkflowEngine {
  const arns = config.workflow.stateMachineArns;
  return lazyAdapter<WorkflowEngine>(
    async () => {
      const [{ SFNClient }, { SfnWorkflowEngine }] = await Promise.all([import('@aws-sdk/client-sfn'), import('./adapters/aws/sfn-workflow-engine.js')]);
      return new SfnWorkflowEngine(new SFNClient(config.region ? { region: config.region } : {}), arns);
    },
    {
      start: 'load',
      describe: 'load',
      list: 'load',
      history: 'load',
      redrive: 'load',
      stop: 'load',
      sendTaskSuccess: 'load',
      sendTaskFailure: 'load',
      executionArn: (workflow, name) => executionArnOf(arns, workflow, name),
      close: 'skip-until-loaded',
    },
  );
}

/** Every Storage method loads the adapter: a storage has nothing to answer before it is there. */
const STORAGE_LOADS: LazyShape<Omit<Storage, 'withFile'>> = { get: 'load', head: 'load', openRead: 'load', put: 'load', list: 'load', delete: 'load' };

/** Folders on disk, loaded on the first call (never in Lambda, whose image bundle then holds it off its start path). */
function fsStorage(root: string): Storage {
  return lazyAdapter<Storage>(async () => new (await import('./adapters/local/fs-storage.js')).FsStorage(root), { ...STORAGE_LOADS, withFile: 'load' });
}

/** Bodies in memory up to this size go to S3 in one signed PUT; larger ones and streams through the S3 client's multipart upload. */
const SIGNED_PUT_MAX_BYTES = 16 * 1024 * 1024;

/**
 * S3, loaded on the first call (`shutter serve` on local folders never loads the AWS SDK). In
 * Lambda, reads and writes of bodies in memory (every image request's read and access record) are
 * SigV4-signed requests without the S3 client (`s3-signed-requests.ts`: the image Lambda's cold
 * start loads a signer, not the client); the client loads on the first streamed write, list or delete.
 */
function s3Storage(config: Readonly<Config>): Storage {
  const client = lazyAdapter<Omit<Storage, 'withFile'>>(async () => {
    const [{ S3Storage }, { s3Client }] = await Promise.all([import('./adapters/aws/s3-storage.js'), import('./adapters/aws/s3-client.js')]);
    return new S3Storage(s3Client(config));
  }, STORAGE_LOADS);
  const region = config.region;
  if (!config.inLambda || !region) return client;
  const signed = lazyAdapter<SignedS3Operations>(
    async () =>
      new (await import('./adapters/aws/s3-signed-requests.js')).S3SignedRequests({
        region,
        timeoutMs: config.limits.storageTimeoutMs,
        ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
      }),
    { get: 'load', head: 'load', openRead: 'load', put: 'load' },
  );
  return {
    get: signed.get,
    head: signed.head,
    openRead: signed.openRead,
    put: (bucket, key, body, options) =>
      Buffer.isBuffer(body) && body.length <= SIGNED_PUT_MAX_BYTES ? signed.put(bucket, key, body, options) : client.put(bucket, key, body, options),
    list: client.list,
    delete: client.delete,
  };
}

/**
 * The settings store: DynamoDB (SETTINGS_TABLE) or SQLite under the data folder, opened on first
 * use, so a process that never reads a setting loads neither (nor the DynamoDB client).
 */
export function createSettingsStore(config: Readonly<Config>): SettingsStore | undefined {
  const { store, location } = config.settings;
  if (store === 'none') return undefined;
  return lazyAdapter<SettingsStore>(
    async () => {
      if (store === 'dynamodb') {
        const [{ DynamoDBClient }, { DynamoDbSettingsStore }] = await Promise.all([
          import('@aws-sdk/client-dynamodb'),
          import('./adapters/aws/dynamodb-settings-store.js'),
        ]);
        return new DynamoDbSettingsStore(new DynamoDBClient(config.region ? { region: config.region } : {}), location);
      }
      const { SqliteSettingsStore } = await import('./adapters/local/sqlite-settings-store.js');
      return new SqliteSettingsStore(location);
    },
    { list: 'load', get: 'load', put: 'load', delete: 'load' },
  );
}

/** Secrets Manager in Lambda, else `$SHUTTER_DATA_DIR/secrets/<name>.json`. */
export function createSecrets(config: Pick<Config, 'inLambda' | 'region' | 'dataDir'>): Secrets {
  if (!config.inLambda) {
    const dir = path.join(config.dataDir, 'secrets');
    return lazyAdapter<Secrets>(async () => new (await import('./adapters/local/file-secrets.js')).FileSecrets(dir), { getSecret: 'load' });
  }
  return lazyAdapter<Secrets>(
    async () => {
      const [{ SecretsManagerClient }, { SecretsManagerSecrets }] = await Promise.all([
        import('@aws-sdk/client-secrets-manager'),
        import('./adapters/aws/secrets-manager-secrets.js'),
      ]);
      return new SecretsManagerSecrets(new SecretsManagerClient(config.region ? { region: config.region } : {}));
    },
    { getSecret: 'load' },
  );
}

/**
 * Where events go, one decision for every process:
 * - KAFKA_BROKERS set: Kafka through the on-disk outbox (`/tmp` in Lambda); kafkajs is loaded on
 *   the first publish (a sink nothing was published to has nothing to flush or close);
 * - else LAKE_BUCKET set: straight to the lake through `storage` (S3 in AWS), one object per
 *   batch: Lambda with streaming off, whose task root is read-only;
 * - else, outside Lambda: JSON lines under the data folder (the local default);
 * - else (Lambda with neither): a sink that refuses every publish with a ConfigError naming the
 *   missing setting, rather than writing under the read-only task root.
 */
export function createEventSink(config: Readonly<Config>, storage: Storage): EventSink {
  const { kafka, lakeBucket } = config.events;
  if (kafka) {
    return lazyAdapter<EventSink>(async () => (await import('./adapters/aws/kafka-event-sink.js')).kafkaEventSink(kafka, config), {
      publish: 'load',
      flush: 'skip-until-loaded',
      close: 'skip-until-loaded',
    });
  }
  if (lakeBucket) return new LakeEventSink({ storage, bucket: lakeBucket, prefix: config.events.lakePrefix });
  if (!config.inLambda) {
    const options = { dir: config.events.dir, retention: config.events.retention };
    return lazyAdapter<EventSink>(async () => new (await import('./adapters/local/jsonl-event-sink.js')).JsonlEventSink(options), {
      publish: 'load',
      flush: 'skip-until-loaded',
      close: 'skip-until-loaded',
    });
  }
  const missing = new ConfigError(['events: in Lambda, set KAFKA_BROKERS (streaming) or LAKE_BUCKET (the lake); the task root is read-only']);
  return { publish: () => Promise.reject(missing), flush: () => Promise.resolve(), close: () => Promise.resolve() };
}

/**
 * Athena (in the configured workgroup) when QUERY_ENGINE is athena, else DuckDB over `$SHUTTER_DATA_DIR/events`
 * with `tables` (analytics/tables.ts: the caller passes them, since core does not depend on analytics).
 */
export function createQueryEngine(config: Readonly<Config>, tables: readonly TableDefinition[]): QueryEngine {
  const { analytics } = config;
  if (analytics.engine === 'athena') {
    return lazyAdapter<QueryEngine>(
      async () => {
        const [{ AthenaClient }, { AthenaQueryEngine }] = await Promise.all([import('@aws-sdk/client-athena'), import('./adapters/aws/athena-query-engine.js')]);
        return new AthenaQueryEngine({
          client: new AthenaClient(config.region ? { region: config.region } : {}),
          workgroup: analytics.athena.workgroup!,
          database: analytics.athena.database,
          catalog: analytics.athena.catalog,
          outputLocation: analytics.athena.outputLocation,
        });
      },
      { name: 'athena', run: 'load', close: 'skip-until-loaded' },
    );
  }
  return lazyAdapter<QueryEngine>(
    async () => new (await import('./adapters/local/duckdb-query-engine.js')).DuckDbQueryEngine({ root: config.dataDir, tables }),
    { name: 'duckdb', run: 'load', close: 'skip-until-loaded' },
  );
}

/** The analyzers' names, known before their modules load: the analysis cache keys on them. */
export const REKOGNITION_ANALYZER = 'aws-rekognition';
export const ATTENTION_ANALYZER = 'libvips-attention';

/** LocalAnalyzer's name for `faceModel` (its models and their versions; test/core/compose.test.ts holds the two equal). */
export function localAnalyzerName(faceModel: string): string {
  return `local(nsfwjs@${packageVersion('nsfwjs')}/MobileNetV2+face-api@${packageVersion('@vladmandic/face-api')}/${faceModel}/search-${DEFAULTS.faceSearchRevision}+${ATTENTION_ANALYZER})`;
}

/**
 * The analyzer named by ANALYZER, behind the content-hash cache. Each loads on first use (the
 * local models later still, in their worker), so a process that never analyses never pays for
 * them, and the image Lambda's start path holds none of the local analysis modules.
 */
export function createAnalyzer(config: Readonly<Config>): Analyzer {
  const limits = config.limits;
  let analyzer: Analyzer;
  switch (config.analysis.analyzer) {
    case 'rekognition':
      analyzer = lazyAdapter<Analyzer>(
        async () => {
          const [{ RekognitionClient }, { RekognitionAnalyzer }] = await Promise.all([
            import('@aws-sdk/client-rekognition'),
            import('./adapters/aws/rekognition-analyzer.js'),
          ]);
          return new RekognitionAnalyzer(
            // The adapter retries throttling itself; the SDK's own retries would multiply its attempts.
            new RekognitionClient({ ...(config.region ? { region: config.region } : {}), maxAttempts: 1 }),
            { readFromS3: config.storage === 's3', limits },
          );
        },
        { name: REKOGNITION_ANALYZER, moderate: 'load', detectSubjects: 'load', close: 'skip-until-loaded' },
      );
      break;
    case 'attention':
      analyzer = lazyAdapter<Analyzer>(async () => new (await import('./adapters/local/attention-analyzer.js')).AttentionAnalyzer(limits), {
        name: ATTENTION_ANALYZER,
        moderate: 'load',
        detectSubjects: 'load',
        close: 'skip-until-loaded',
      });
      break;
    default: {
      const faceModel = config.analysis.localFaceModel === 'tiny' ? 'tiny_face_detector' : 'ssd_mobilenetv1';
      const workerIdleMs = config.analysis.workerIdleMs;
      analyzer = lazyAdapter<Analyzer>(async () => new (await import('./adapters/local/local-analyzer.js')).LocalAnalyzer({ limits, faceModel, workerIdleMs }), {
        name: localAnalyzerName(faceModel),
        moderate: 'load',
        detectSubjects: 'load',
        close: 'skip-until-loaded',
      });
    }
  }
  return new CachingAnalyzer(analyzer, {
    entries: config.analysis.cacheEntries,
    ...(config.analysis.cacheDir ? { directory: config.analysis.cacheDir } : {}),
  });
}

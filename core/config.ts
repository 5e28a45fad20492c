/**
 * Configuration, read once from the environment with SIH's variable names and meanings, validated
 * with every problem reported at once, frozen, and injected. Nothing else reads `process.env`.
 */
import path from 'node:path';
import { flag, matching, nonNegativeInt, oneOf, optionalString, positiveInt, readEnv, text, wholeNumber, type EnvValues } from './env-fields.js';
import { ConfigError } from './errors.js';
import { DEFAULTS, LIMITS, WORKFLOW } from './limits.js';
import { parseOriginAllowList, type OriginPattern } from './origins.js';

/** A Yes/No flag whose default depends on other settings (decided after parsing). */
const optionalFlag = flag(undefined);

/** A whole number ≥ 0, or undefined when unset (so the caller can pick a context-dependent default). */
const optionalNonNegativeInt = wholeNumber(undefined, 0);

/** The variables read, each with its reader (core/env-fields.ts): SIH's names first. */
const ENV = {
  /** 0 picks a free port (tests, several instances on one machine). */
  PORT: nonNegativeInt(8080),
  HOST: optionalString,
  /**
   * Proxies in front of shutter that append the address they were reached from to
   * X-Forwarded-For (a load balancer, nginx, CloudFront): the client is that many entries from
   * the right. 0 (the default) trusts no header: the client is the connection's peer.
   */
  TRUST_PROXY_HOPS: nonNegativeInt(0),
  SHUTTER_DATA_DIR: optionalString,
  /** `local` (folders under the data dir) or `s3`. Defaults to s3 inside Lambda, local elsewhere. */
  SHUTTER_STORAGE: oneOf(['local', 's3'], undefined),
  S3_ENDPOINT: optionalString,
  AWS_REGION: optionalString,
  AWS_LAMBDA_FUNCTION_NAME: optionalString,
  SOURCE_BUCKETS: optionalString,
  /** Not in SIH (DIT v8 keeps them in DynamoDB): the DynamoDB table of delivery settings (origins, policies, mappings); unset: SQLite under the data folder (none in Lambda). */
  SETTINGS_TABLE: optionalString,
  /** Not in SIH: how long the image handler keeps the delivery settings before reading them again. */
  SETTINGS_CACHE_SECONDS: nonNegativeInt(DEFAULTS.settingsCacheSeconds),
  /** Not in SIH: the request header whose host mappings match (`host`; behind CloudFront, the viewer's host as its function forwards it). */
  MAPPING_HOST_HEADER: matching(/^[a-z0-9-]+$/, 'a lower-case header name', 'host'),
  /** Not in SIH (DIT v8 has origins): remote origins images may be fetched from, `scheme://host[:port]`, comma-separated; `*.` wildcards. Empty: none. */
  SOURCE_URLS: optionalString,
  /** Not in SIH: let remote origins resolve to loopback and private addresses (tests, a private network on purpose). */
  ALLOW_PRIVATE_ORIGINS: flag(false),
  /** Not in SIH: the most one fetch from a remote origin may take, redirects included. */
  ORIGIN_TIMEOUT_MS: positiveInt(LIMITS.originTimeoutMs),
  AUTO_WEBP: flag(false),
  /** Not in SIH: also negotiate AVIF when the client accepts it. */
  AUTO_AVIF: flag(false),
  /** Not in SIH (DIT v8 has it): size images the URL leaves open from the browser's client hints (DPR, Width, Viewport-Width). */
  CLIENT_HINTS: flag(false),
  CORS_ENABLED: flag(false),
  CORS_ORIGIN: text('*'),
  ENABLE_SIGNATURE: flag(false),
  SECRETS_MANAGER: optionalString,
  SECRET_KEY: optionalString,
  ENABLE_DEFAULT_FALLBACK_IMAGE: flag(false),
  DEFAULT_FALLBACK_IMAGE_BUCKET: optionalString,
  DEFAULT_FALLBACK_IMAGE_KEY: optionalString,
  REWRITE_MATCH_PATTERN: optionalString,
  REWRITE_SUBSTITUTION: text(undefined),
  /** SIH 6.2+: sharp's input pixel limit. */
  SHARP_SIZE_LIMIT: optionalString,
  /** Not in SIH: refuse any request that is not a named preset (guards against cost amplification). */
  PRESETS_ONLY: flag(false),
  /** Not in SIH: a JSON file of named presets, usable from every door. */
  PRESETS_FILE: optionalString,
  /** Not in SIH: where results over the Lambda response limit are stored and redirected to. */
  RESULT_BUCKET: optionalString,
  /**
   * Not in SIH: a Secrets Manager secret (`{"current": "...", "previous": "..."}`) whose value
   * CloudFront sends as the origin header; the Lambda answers 403 to requests without it, so the
   * API is reachable only through CloudFront (`api/origin-guard.ts`).
   */
  ORIGIN_SECRET: optionalString,
  MAX_SOURCE_BYTES: positiveInt(LIMITS.maxSourceBytes),
  MAX_OUTPUT_DIMENSION: positiveInt(LIMITS.maxOutputDimension),
  PROCESSING_TIMEOUT_MS: positiveInt(LIMITS.processingTimeoutMs),
  SHARP_CONCURRENCY: positiveInt(DEFAULTS.sharpConcurrency),
  MAX_CONCURRENT_RENDERS: positiveInt(DEFAULTS.maxConcurrentRenders),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  /** Not in SIH: requests that may wait for a render slot; beyond, 503 + Retry-After. 0 sheds at once. */
  MAX_QUEUED_RENDERS: nonNegativeInt(DEFAULTS.maxQueuedRenders),
  /** Not in SIH: the most one on-demand request may take before it is answered 503 (also the server's drain time). */
  REQUEST_TIMEOUT_MS: positiveInt(0),
  /** Not in SIH: the most one storage call attempt may take. */
  STORAGE_TIMEOUT_MS: positiveInt(LIMITS.storageTimeoutMs),
  /** Not in SIH: memory for rendered results, in MB; 0 turns the result cache off. */
  RESULT_CACHE_MB: optionalNonNegativeInt,
  /** Seed the default bucket with sample photos on first start (local only). */
  SHUTTER_SEED_SAMPLES: flag(true),
  /** Ask for credentials on /console and /api: Yes, No, or unset (Yes unless the server binds loopback only). */
  CONSOLE_AUTH: flag(undefined),
  /**
   * The second, explicit setting CONSOLE_AUTH=No needs on an address other machines reach
   * (HOST not loopback, or Lambda): anyone who reaches the server can then stop workflows and
   * decide reviews. Without it such a server refuses to start.
   */
  CONSOLE_AUTH_OFF_ON_NETWORK: flag(false),
  CONSOLE_TOKEN: optionalString,
  CONSOLE_USER: optionalString,
  CONSOLE_PASSWORD: optionalString,
  /**
   * A secret (Secrets Manager name or ARN; locally `$SHUTTER_DATA_DIR/secrets/<name>.json`) whose
   * JSON holds the console's credentials, `{"token"}` or `{"user","password"}`, read once at start
   * instead of CONSOLE_TOKEN / CONSOLE_USER / CONSOLE_PASSWORD (which would sit in plain Lambda settings).
   */
  CONSOLE_SECRET: optionalString,
  /**
   * The console's API runs behind a proxy (the console's CloudFront distribution) that must send
   * the origin its own Host and passes the Host the browser sent as X-Forwarded-Host.
   */
  CONSOLE_FORWARDED_HOST: flag(false),
  /** The built console (`npm run build` writes console/dist). */
  CONSOLE_DIR: optionalString,
  // The bulk workflow (see README "Bulk workflow").
  /** Where uploads land and start the workflow; expire after UPLOAD_RETENTION_DAYS. */
  UPLOADS_BUCKET: optionalString,
  /** Where renditions and manifests are written. */
  RENDITIONS_BUCKET: optionalString,
  /** Not in SIH: the public base of rendition URLs in manifests (`https://images.example.com`); empty: relative to this server (`/r/…`). */
  RENDITIONS_BASE_URL: optionalString,
  /** Where flagged images are copied for an operator. */
  QUARANTINE_BUCKET: optionalString,
  /** A JSON file of rendition sets (validated at start); the built-in `default` set otherwise. */
  RENDITIONS_FILE: optionalString,
  /** `local` (the in-process ASL engine with SQLite history) or `stepfunctions` (AWS). */
  WORKFLOW_ENGINE: oneOf(['local', 'stepfunctions'], undefined),
  IMAGE_STATE_MACHINE_ARN: optionalString,
  BACKFILL_STATE_MACHINE_ARN: optionalString,
  /** Executions the local engine runs at once; the rest wait in arrival order. */
  WORKFLOW_CONCURRENCY: positiveInt(WORKFLOW.concurrency),
  /** Presets the local engine renders at once across its executions; the rest wait their turn. */
  WORKFLOW_RENDERS: positiveInt(WORKFLOW.localRenders),
  /** Flagged images wait for an operator's decision instead of ending in quarantine. */
  MODERATION_REVIEW: flag(false),
  MODERATION_MIN_CONFIDENCE: positiveInt(DEFAULTS.minModerationConfidence),
  /** Start the workflow for files dropped into the uploads bucket's folder (local only). */
  WATCH_UPLOADS: flag(true),
  UPLOAD_RETENTION_DAYS: positiveInt(WORKFLOW.uploadRetentionDays),
  /** Kafka bootstrap brokers, comma-separated (`host:port`). Set: events go to Kafka through the outbox; unset: local JSON lines. */
  KAFKA_BROKERS: optionalString,
  KAFKA_TOPIC: text(DEFAULTS.kafkaTopic),
  /** `iam`: Amazon MSK IAM auth (SASL/OAUTHBEARER, implies TLS); `none`: no authentication. */
  KAFKA_SASL: oneOf(['iam', 'none'], 'none'),
  /** TLS to the brokers; default on with IAM auth, off otherwise. */
  KAFKA_TLS: optionalFlag,
  KAFKA_CLIENT_ID: text('shutter'),
  /** Share of on-demand requests recorded as `image.request.served` events, 0 to 1 (0: none). */
  EVENTS_ACCESS_SAMPLE_RATE: text(undefined),
  /** Where the Kafka outbox keeps undelivered events; default `$SHUTTER_DATA_DIR/outbox` (`/tmp/shutter-outbox` in Lambda). */
  EVENTS_OUTBOX_DIR: optionalString,
  EVENTS_OUTBOX_MAX_BYTES: positiveInt(DEFAULTS.outboxMaxBytes),
  /** Days of local event files kept (`$SHUTTER_DATA_DIR/events`); 0 keeps every day. */
  EVENTS_RETENTION_DAYS: nonNegativeInt(DEFAULTS.eventRetentionDays),
  /** Megabytes the local event files may take; the oldest go first beyond it; 0 for no limit. */
  EVENTS_MAX_MB: nonNegativeInt(DEFAULTS.eventLogMaxMb),
  /** The S3 bucket of the lake (AWS): the lake writer puts events under `events/dt=YYYY-MM-DD/` there. */
  LAKE_BUCKET: optionalString,
  /** The events table's location in the lake bucket (the Glue table's prefix). */
  LAKE_PREFIX: text('events/'),
  /** Analytics engine: `duckdb` (local JSON lines) or `athena`; default athena when ATHENA_WORKGROUP is set. */
  QUERY_ENGINE: oneOf(['duckdb', 'athena'], undefined),
  ATHENA_WORKGROUP: optionalString,
  ATHENA_DATABASE: text('shutter'),
  ATHENA_CATALOG: text('AwsDataCatalog'),
  /** Only needed when the workgroup does not enforce its own result location. */
  ATHENA_OUTPUT_LOCATION: optionalString,
  /**
   * Not in SIH: who answers smartCrop and contentModeration. `local` (models in process, the default
   * outside Lambda), `rekognition` (the default inside Lambda), `attention` (libvips saliency only, no moderation).
   */
  ANALYZER: oneOf(['local', 'rekognition', 'attention'], undefined),
  /**
   * Not in SIH: may an unsigned URL ask for smartCrop or contentModeration of its own? Default Yes,
   * except with the `rekognition` analyzer, where every cache miss of such a URL is a billed call:
   * then only signed URLs (ENABLE_SIGNATURE) and presets may, unless this says Yes.
   */
  ANALYSIS_UNSIGNED: optionalFlag,
  /** Not in SIH: the local face detector: `ssd` (face-api SSD MobileNet v1, more accurate) or `tiny` (about 4× less CPU). */
  LOCAL_FACE_MODEL: oneOf(['ssd', 'tiny'], 'ssd'),
  /** Not in SIH: analysis results kept in memory, by content hash. */
  ANALYSIS_CACHE_ENTRIES: positiveInt(DEFAULTS.analysisCacheEntries),
  /** Not in SIH: seconds without an analysis after which the local models' worker ends and gives their memory back. */
  ANALYSIS_WORKER_IDLE_SECONDS: positiveInt(DEFAULTS.analysisWorkerIdleMs / 1000),
  /** Not in SIH: also keep analysis results on disk under the data folder (default Yes, No inside Lambda). */
  ANALYSIS_DISK_CACHE: optionalFlag,
  /** Not in SIH: seconds without work in flight after which shutter gives the memory a burst left back to the OS; 0 never. */
  MEMORY_IDLE_SECONDS: nonNegativeInt(DEFAULTS.memoryIdleMs / 1000),
};

export interface Config {
  port: number;
  /** The address the local server binds; loopback unless HOST says otherwise. */
  host: string;
  /** X-Forwarded-For entries added by trusted proxies (TRUST_PROXY_HOPS); 0: the peer is the client. */
  trustProxyHops: number;
  dataDir: string;
  storage: 'local' | 's3';
  s3Endpoint: string | undefined;
  region: string | undefined;
  inLambda: boolean;
  sourceBuckets: readonly string[];
  /** Delivery settings changed at run time (origins, policies, mappings): where they live and how long they are cached. */
  settings: {
    /** `none` in Lambda without SETTINGS_TABLE: no local disk to keep them on. */
    store: 'sqlite' | 'dynamodb' | 'none';
    /** The SQLite file, or the DynamoDB table. */
    location: string;
    cacheSeconds: number;
    hostHeader: string;
  };
  /** Remote origins (SOURCE_URLS): which may be fetched, and how. */
  origins: { allow: readonly OriginPattern[]; allowPrivate: boolean; timeoutMs: number };
  autoWebp: boolean;
  autoAvif: boolean;
  clientHints: boolean;
  cors: { enabled: boolean; origin: string };
  signature: { enabled: boolean; secretName: string | undefined; secretKey: string | undefined };
  fallbackImage: { bucket: string; key: string } | undefined;
  rewrite: { pattern: RegExp; substitution: string } | undefined;
  presetsOnly: boolean;
  presetsFile: string | undefined;
  resultBucket: string | undefined;
  /** The secret CloudFront's origin header must match (AWS only). */
  originSecret: string | undefined;
  limits: {
    maxInputPixels: number;
    maxSourceBytes: number;
    maxOutputDimension: number;
    maxOutputPixels: number;
    maxAnimationFrames: number;
    processingTimeoutMs: number;
    requestTimeoutMs: number;
    storageTimeoutMs: number;
  };
  sharpConcurrency: number;
  maxConcurrentRenders: number;
  maxQueuedRenders: number;
  /** Bytes of rendered results kept in memory; 0 = no result cache. */
  resultCacheBytes: number;
  seedSamples: boolean;
  logLevel: string;
  /** After this long without work in flight, memory goes back to the OS (MEMORY_IDLE_SECONDS; 0 never). */
  memoryIdleMs: number;
  console: ConsoleConfig;
  workflow: WorkflowConfig;
  events: EventsConfig;
  analytics: AnalyticsConfig;
  analysis: {
    analyzer: 'local' | 'rekognition' | 'attention';
    /** An unsigned, preset-less URL may ask for smartCrop or contentModeration (see ANALYSIS_UNSIGNED). */
    unsignedRequests: boolean;
    localFaceModel: 'ssd' | 'tiny';
    /** The local models' worker ends after this long without an analysis (ANALYSIS_WORKER_IDLE_SECONDS). */
    workerIdleMs: number;
    cacheEntries: number;
    /** `$SHUTTER_DATA_DIR/analysis`, or undefined when results are kept in memory only. */
    cacheDir: string | undefined;
  };
}

export interface WorkflowConfig {
  engine: 'local' | 'stepfunctions';
  buckets: { uploads: string; renditions: string; quarantine: string };
  renditionsFile: string | undefined;
  /** Prefix of the rendition URLs manifests carry; '' for URLs relative to this server. */
  renditionsBaseUrl: string;
  /** State machine ARNs, by workflow name (AWS only). */
  stateMachineArns: { image?: string; backfill?: string };
  concurrency: number;
  /** Presets rendered at once by the local engine, across executions. */
  renders: number;
  review: boolean;
  minModerationConfidence: number;
  watchUploads: boolean;
  uploadRetentionDays: number;
}

export interface EventsConfig {
  /** Local JSON-lines folder (`$SHUTTER_DATA_DIR/events`), also what DuckDB reads. */
  dir: string;
  /** Set when KAFKA_BROKERS is: events go to Kafka through the outbox. */
  kafka:
    | { brokers: readonly string[]; topic: string; sasl: 'iam' | 'none'; tls: boolean; clientId: string }
    | undefined;
  outboxDir: string;
  outboxMaxBytes: number;
  /** 0 to 1. */
  accessSampleRate: number;
  /** The local event files' retention (age in days, total bytes; 0: no limit). */
  retention: { maxAgeDays: number; maxBytes: number };
  /**
   * The lake's S3 bucket: where the MSK → S3 lake writer puts events, and where a Lambda sends its
   * own events when there is no Kafka (its task root is read-only: no JSON lines there).
   */
  lakeBucket: string | undefined;
  /** The events table's prefix in the lake bucket, with a trailing slash (`events/`). */
  lakePrefix: string;
}

export interface AnalyticsConfig {
  engine: 'duckdb' | 'athena';
  athena: { workgroup: string | undefined; database: string; catalog: string; outputLocation: string | undefined };
}

/** The operator console's settings: who may use it and where its built files are. */
export interface ConsoleConfig {
  /** Credentials are asked on /console's API and every /api route. */
  authRequired: boolean;
  /** Bearer token (`Authorization: Bearer …`, or typed in the console's sign-in form). */
  token: string | undefined;
  /** Basic credentials (`Authorization: Basic …`, or the sign-in form). */
  user: string | undefined;
  password: string | undefined;
  /**
   * Host header values accepted when no credentials are asked (loopback only): a page on
   * another site that resolves its name to 127.0.0.1 (DNS rebinding) cannot drive the API.
   * Undefined: any host.
   */
  allowedHosts: readonly string[] | undefined;
  /** The folder served under /console. */
  dir: string;
  /** CONSOLE_SECRET: where the credentials come from when they are not set directly (see `withConsoleCredentials`). */
  secret: string | undefined;
  /** Compare a request's Origin with X-Forwarded-Host (the Host the browser sent), not Host. */
  forwardedHost: boolean;
}

/** The console's credentials, from the environment or from CONSOLE_SECRET. */
export interface ConsoleCredentials {
  token?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
}

/** The host names that mean "this machine only". */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Parses SIH's `REWRITE_MATCH_PATTERN` (a JS regex literal such as `/(filters-)/gm`) the way SIH
 * does; a bare string without slashes is taken as a plain pattern.
 */
export function parseRewritePattern(literal: string): RegExp {
  const match = /^\/(.*)\/([a-z]*)$/s.exec(literal);
  return match ? new RegExp(match[1]!, match[2]) : new RegExp(literal);
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const { values: e, problems } = readEnv(ENV, env);
  if (problems.length) throw new ConfigError(problems);
  const inLambda = !!e.AWS_LAMBDA_FUNCTION_NAME;
  const storage = e.SHUTTER_STORAGE ?? (inLambda ? 's3' : 'local');

  const sourceBuckets = (e.SOURCE_BUCKETS ?? (storage === 'local' ? 'images' : ''))
    .replace(/\s+/g, '')
    .split(',')
    .filter(Boolean);
  if (sourceBuckets.length === 0) problems.push('SOURCE_BUCKETS: at least one source bucket is required');
  for (const bucket of sourceBuckets) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) problems.push(`SOURCE_BUCKETS: "${bucket}" is not a valid bucket name`);
  }
  const origins = parseOriginAllowList(e.SOURCE_URLS);
  problems.push(...origins.problems);
  if (e.ENABLE_SIGNATURE && (!e.SECRETS_MANAGER || !e.SECRET_KEY)) {
    problems.push('ENABLE_SIGNATURE is Yes, so SECRETS_MANAGER and SECRET_KEY must name the secret and its key');
  }
  let fallbackImage: Config['fallbackImage'];
  if (e.ENABLE_DEFAULT_FALLBACK_IMAGE) {
    if (!e.DEFAULT_FALLBACK_IMAGE_BUCKET || !e.DEFAULT_FALLBACK_IMAGE_KEY) {
      problems.push('ENABLE_DEFAULT_FALLBACK_IMAGE is Yes, so DEFAULT_FALLBACK_IMAGE_BUCKET and DEFAULT_FALLBACK_IMAGE_KEY are required');
    } else fallbackImage = { bucket: e.DEFAULT_FALLBACK_IMAGE_BUCKET, key: e.DEFAULT_FALLBACK_IMAGE_KEY };
  }
  let rewrite: Config['rewrite'];
  if (e.REWRITE_MATCH_PATTERN && e.REWRITE_SUBSTITUTION !== undefined && e.REWRITE_SUBSTITUTION !== '') {
    try {
      rewrite = { pattern: parseRewritePattern(e.REWRITE_MATCH_PATTERN), substitution: e.REWRITE_SUBSTITUTION };
    } catch (error) {
      problems.push(`REWRITE_MATCH_PATTERN: not a valid regular expression (${(error as Error).message})`);
    }
  }
  let maxInputPixels: number = LIMITS.maxInputPixels;
  if (e.SHARP_SIZE_LIMIT !== undefined) {
    const value = Number(e.SHARP_SIZE_LIMIT);
    if (!Number.isInteger(value) || value < 0) problems.push(`SHARP_SIZE_LIMIT: expected a pixel count, got "${e.SHARP_SIZE_LIMIT}"`);
    // SIH: 0 means "no limit"; we keep a hard ceiling (sharp's own) so a bomb can never pass.
    else maxInputPixels = value === 0 ? 0x3fff * 0x3fff : value;
  }
  const workflowBuckets = {
    uploads: e.UPLOADS_BUCKET ?? 'uploads',
    renditions: e.RENDITIONS_BUCKET ?? 'renditions',
    quarantine: e.QUARANTINE_BUCKET ?? 'quarantine',
  };
  for (const [name, bucket] of Object.entries(workflowBuckets)) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) problems.push(`${name.toUpperCase()}_BUCKET: "${bucket}" is not a valid bucket name`);
  }
  if (e.RENDITIONS_BASE_URL && !/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(e.RENDITIONS_BASE_URL)) {
    problems.push(`RENDITIONS_BASE_URL: expected an http(s) URL without query, got "${e.RENDITIONS_BASE_URL}"`);
  }
  const engine = e.WORKFLOW_ENGINE ?? (inLambda ? 'stepfunctions' : 'local');
  // Asked for explicitly, Step Functions needs the machine; task Lambdas default to it but only
  // the one that starts executions calls it (and fails clearly without the ARN).
  if (e.WORKFLOW_ENGINE === 'stepfunctions' && !e.IMAGE_STATE_MACHINE_ARN) {
    problems.push('WORKFLOW_ENGINE is stepfunctions, so IMAGE_STATE_MACHINE_ARN must name the image state machine');
  }
  if (e.MODERATION_MIN_CONFIDENCE > 100) problems.push(`MODERATION_MIN_CONFIDENCE: expected 1 to 100, got ${e.MODERATION_MIN_CONFIDENCE}`);
  const dataDir = path.resolve(e.SHUTTER_DATA_DIR ?? 'data');
  const events = eventsConfig(e, dataDir, inLambda, problems);
  const queryEngine = e.QUERY_ENGINE ?? (e.ATHENA_WORKGROUP ? 'athena' : 'duckdb');
  if (queryEngine === 'athena' && !e.ATHENA_WORKGROUP) problems.push('QUERY_ENGINE is athena, so ATHENA_WORKGROUP must name the workgroup');
  if (e.ATHENA_OUTPUT_LOCATION && !e.ATHENA_OUTPUT_LOCATION.startsWith('s3://')) {
    problems.push(`ATHENA_OUTPUT_LOCATION: expected an s3:// URL, got "${e.ATHENA_OUTPUT_LOCATION}"`);
  }
  // Unset, the request deadline follows a raised processing timeout, keeping 5 s for storage reads.
  const requestTimeoutMs = e.REQUEST_TIMEOUT_MS || Math.max(LIMITS.requestTimeoutMs, e.PROCESSING_TIMEOUT_MS + 5_000);
  if (requestTimeoutMs <= e.PROCESSING_TIMEOUT_MS) {
    problems.push(
      `REQUEST_TIMEOUT_MS (${requestTimeoutMs}) must be larger than PROCESSING_TIMEOUT_MS (${e.PROCESSING_TIMEOUT_MS}), so a slow render reports its own timeout`,
    );
  }
  const consoleConfig = consoleSettings(e, inLambda, problems);
  if (problems.length) throw new ConfigError(problems);

  const analyzer = e.ANALYZER ?? (inLambda ? 'rekognition' : 'local');
  return Object.freeze({
    port: e.PORT,
    host: e.HOST ?? DEFAULTS.host,
    trustProxyHops: e.TRUST_PROXY_HOPS,
    dataDir,
    storage,
    s3Endpoint: e.S3_ENDPOINT,
    region: e.AWS_REGION,
    inLambda,
    sourceBuckets: Object.freeze(sourceBuckets),
    settings: {
      store: e.SETTINGS_TABLE ? ('dynamodb' as const) : inLambda ? ('none' as const) : ('sqlite' as const),
      location: e.SETTINGS_TABLE ?? (inLambda ? '' : path.join(dataDir, 'settings.db')),
      cacheSeconds: e.SETTINGS_CACHE_SECONDS,
      hostHeader: e.MAPPING_HOST_HEADER,
    },
    origins: { allow: Object.freeze(origins.patterns), allowPrivate: e.ALLOW_PRIVATE_ORIGINS, timeoutMs: e.ORIGIN_TIMEOUT_MS },
    autoWebp: e.AUTO_WEBP,
    autoAvif: e.AUTO_AVIF,
    clientHints: e.CLIENT_HINTS,
    cors: { enabled: e.CORS_ENABLED, origin: e.CORS_ORIGIN },
    signature: { enabled: e.ENABLE_SIGNATURE, secretName: e.SECRETS_MANAGER, secretKey: e.SECRET_KEY },
    fallbackImage,
    rewrite,
    presetsOnly: e.PRESETS_ONLY,
    presetsFile: e.PRESETS_FILE,
    resultBucket: e.RESULT_BUCKET,
    originSecret: e.ORIGIN_SECRET,
    limits: {
      maxInputPixels,
      maxSourceBytes: e.MAX_SOURCE_BYTES,
      maxOutputDimension: e.MAX_OUTPUT_DIMENSION,
      maxOutputPixels: LIMITS.maxOutputPixels,
      maxAnimationFrames: LIMITS.maxAnimationFrames,
      processingTimeoutMs: e.PROCESSING_TIMEOUT_MS,
      requestTimeoutMs,
      storageTimeoutMs: e.STORAGE_TIMEOUT_MS,
    },
    sharpConcurrency: e.SHARP_CONCURRENCY,
    maxConcurrentRenders: e.MAX_CONCURRENT_RENDERS,
    maxQueuedRenders: e.MAX_QUEUED_RENDERS,
    resultCacheBytes: (e.RESULT_CACHE_MB ?? (inLambda ? DEFAULTS.lambdaResultCacheMb : DEFAULTS.resultCacheMb)) * 1024 * 1024,
    seedSamples: e.SHUTTER_SEED_SAMPLES,
    logLevel: e.LOG_LEVEL,
    memoryIdleMs: e.MEMORY_IDLE_SECONDS * 1000,
    console: consoleConfig,
    workflow: {
      engine,
      buckets: workflowBuckets,
      renditionsFile: e.RENDITIONS_FILE,
      renditionsBaseUrl: (e.RENDITIONS_BASE_URL ?? '').replace(/\/+$/, ''),
      stateMachineArns: {
        ...(e.IMAGE_STATE_MACHINE_ARN ? { image: e.IMAGE_STATE_MACHINE_ARN } : {}),
        ...(e.BACKFILL_STATE_MACHINE_ARN ? { backfill: e.BACKFILL_STATE_MACHINE_ARN } : {}),
      },
      concurrency: e.WORKFLOW_CONCURRENCY,
      renders: e.WORKFLOW_RENDERS,
      review: e.MODERATION_REVIEW,
      minModerationConfidence: e.MODERATION_MIN_CONFIDENCE,
      watchUploads: e.WATCH_UPLOADS,
      uploadRetentionDays: e.UPLOAD_RETENTION_DAYS,
    },
    events,
    analytics: {
      engine: queryEngine,
      athena: { workgroup: e.ATHENA_WORKGROUP, database: e.ATHENA_DATABASE, catalog: e.ATHENA_CATALOG, outputLocation: e.ATHENA_OUTPUT_LOCATION },
    },
    analysis: {
      analyzer,
      unsignedRequests: e.ANALYSIS_UNSIGNED ?? analyzer !== 'rekognition',
      localFaceModel: e.LOCAL_FACE_MODEL,
      workerIdleMs: e.ANALYSIS_WORKER_IDLE_SECONDS * 1000,
      cacheEntries: e.ANALYSIS_CACHE_ENTRIES,
      cacheDir: (e.ANALYSIS_DISK_CACHE ?? !inLambda) ? path.join(dataDir, 'analysis') : undefined,
    },
  });
}

function eventsConfig(e: EnvValues<typeof ENV>, dataDir: string, inLambda: boolean, problems: string[]): EventsConfig {
  let accessSampleRate: number = DEFAULTS.accessSampleRate;
  if (e.EVENTS_ACCESS_SAMPLE_RATE !== undefined && e.EVENTS_ACCESS_SAMPLE_RATE.trim() !== '') {
    const rate = Number(e.EVENTS_ACCESS_SAMPLE_RATE);
    if (!Number.isFinite(rate) || rate < 0 || rate > 1) problems.push(`EVENTS_ACCESS_SAMPLE_RATE: expected a number from 0 to 1, got "${e.EVENTS_ACCESS_SAMPLE_RATE}"`);
    else accessSampleRate = rate;
  }
  // MSK's IAM authentication works only over TLS: on unless said otherwise.
  const tls = e.KAFKA_TLS ?? e.KAFKA_SASL === 'iam';
  if (e.KAFKA_SASL === 'iam' && !tls) problems.push('KAFKA_SASL is iam, which MSK only accepts over TLS: KAFKA_TLS cannot be No');
  let kafka: EventsConfig['kafka'];
  if (e.KAFKA_BROKERS) {
    const brokers = e.KAFKA_BROKERS.split(',').map((broker) => broker.trim()).filter(Boolean);
    for (const broker of brokers) {
      if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(broker)) problems.push(`KAFKA_BROKERS: "${broker}" is not host:port`);
    }
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(e.KAFKA_TOPIC)) problems.push(`KAFKA_TOPIC: "${e.KAFKA_TOPIC}" is not a valid topic name`);
    if (e.KAFKA_SASL === 'iam' && !e.AWS_REGION) problems.push('KAFKA_SASL is iam, so AWS_REGION must be set (the region signs the token)');
    kafka = { brokers, topic: e.KAFKA_TOPIC, sasl: e.KAFKA_SASL, tls, clientId: e.KAFKA_CLIENT_ID };
  }
  return {
    dir: path.join(dataDir, 'events'),
    kafka,
    outboxDir: e.EVENTS_OUTBOX_DIR ? path.resolve(e.EVENTS_OUTBOX_DIR) : inLambda ? '/tmp/shutter-outbox' : path.join(dataDir, 'outbox'),
    outboxMaxBytes: e.EVENTS_OUTBOX_MAX_BYTES,
    accessSampleRate,
    retention: { maxAgeDays: e.EVENTS_RETENTION_DAYS, maxBytes: e.EVENTS_MAX_MB * 1024 * 1024 },
    lakeBucket: e.LAKE_BUCKET,
    lakePrefix: e.LAKE_PREFIX.endsWith('/') ? e.LAKE_PREFIX : `${e.LAKE_PREFIX}/`,
  };
}

/**
 * Console credentials are required by default whenever someone other than this machine's user
 * can reach the server (it binds anything but loopback, or runs in Lambda), and whenever some
 * are set. A server that binds a public address without credentials refuses to start; in Lambda
 * (where the image API runs without the console) the console's API refuses every request instead.
 */
function consoleSettings(e: EnvValues<typeof ENV>, inLambda: boolean, problems: string[]): ConsoleConfig {
  const host = e.HOST ?? DEFAULTS.host;
  const loopback = !inLambda && isLoopbackHost(host);
  const direct = e.CONSOLE_TOKEN !== undefined || e.CONSOLE_USER !== undefined || e.CONSOLE_PASSWORD !== undefined;
  if (e.CONSOLE_SECRET !== undefined && direct) {
    problems.push('CONSOLE_SECRET names where the console credentials come from: unset CONSOLE_TOKEN, CONSOLE_USER and CONSOLE_PASSWORD, or CONSOLE_SECRET');
  }
  if (e.CONSOLE_SECRET !== undefined && !/^[\w/+=.@:-]{1,2048}$/.test(e.CONSOLE_SECRET)) {
    problems.push(`CONSOLE_SECRET: "${e.CONSOLE_SECRET}" is not a secret name or ARN`);
  }
  // A secret will hold credentials: checked when it is read (withConsoleCredentials).
  const hasCredentials = e.CONSOLE_TOKEN !== undefined || e.CONSOLE_PASSWORD !== undefined || e.CONSOLE_SECRET !== undefined;
  // Credentials, once set, are always asked, on loopback too.
  const authRequired = e.CONSOLE_AUTH ?? (!loopback || hasCredentials);
  problems.push(...credentialProblems({ token: e.CONSOLE_TOKEN, user: e.CONSOLE_USER, password: e.CONSOLE_PASSWORD }, (field) => `CONSOLE_${field.toUpperCase()}`));
  if (authRequired && !hasCredentials && !inLambda) {
    const why = loopback ? 'CONSOLE_AUTH is Yes' : `the server binds ${host}, reachable from other machines`;
    problems.push(`${why}, so the console and its API need credentials: set CONSOLE_TOKEN, or CONSOLE_USER and CONSOLE_PASSWORD, or CONSOLE_SECRET (or bind HOST=127.0.0.1)`);
  }
  if (!authRequired && !loopback && !e.CONSOLE_AUTH_OFF_ON_NETWORK) {
    const where = inLambda ? 'in Lambda' : `on ${host}, reachable from other machines`;
    problems.push(
      `CONSOLE_AUTH=No ${where} lets anyone stop workflows and decide reviews: set credentials (CONSOLE_TOKEN, or CONSOLE_USER and CONSOLE_PASSWORD), bind HOST=127.0.0.1, or confirm with CONSOLE_AUTH_OFF_ON_NETWORK=Yes`,
    );
  }
  // Without credentials on loopback, the Host check is what stops DNS rebinding: CONSOLE_AUTH=No keeps it.
  const allowedHosts = !authRequired && loopback ? ['localhost', '127.0.0.1', '[::1]', host] : undefined;
  return {
    authRequired,
    token: e.CONSOLE_TOKEN,
    user: e.CONSOLE_USER,
    password: e.CONSOLE_PASSWORD,
    allowedHosts: allowedHosts ? Object.freeze([...new Set(allowedHosts)]) : undefined,
    dir: path.resolve(e.CONSOLE_DIR ?? path.join('console', 'dist')),
    secret: e.CONSOLE_SECRET,
    forwardedHost: e.CONSOLE_FORWARDED_HOST,
  };
}

/** What is wrong with a set of console credentials; `name` spells a field as its reader set it (`CONSOLE_TOKEN`, or `"token"` in a secret). */
function credentialProblems(credentials: ConsoleCredentials, name: (field: string) => string): string[] {
  const problems: string[] = [];
  if (credentials.token !== undefined && credentials.token.length < LIMITS.minConsoleTokenLength) {
    problems.push(`${name('token')}: at least ${LIMITS.minConsoleTokenLength} characters, so that it cannot be guessed`);
  }
  if ((credentials.user === undefined) !== (credentials.password === undefined)) {
    problems.push(`${name('user')} and ${name('password')} go together: set both or neither`);
  } else if (credentials.password !== undefined && credentials.password.length < LIMITS.minConsolePasswordLength) {
    problems.push(`${name('password')}: at least ${LIMITS.minConsolePasswordLength} characters`);
  }
  return problems;
}

/**
 * The config with the console's credentials taken from CONSOLE_SECRET's value (its SecretString:
 * `{"token": "..."}` and/or `{"user": "...", "password": "..."}`), checked as CONSOLE_TOKEN /
 * CONSOLE_USER / CONSOLE_PASSWORD are. Throws a ConfigError naming the secret, never its value.
 *
 * @example
 * const config = withConsoleCredentials(loadConfig(env), await secrets.getSecret(loadConfig(env).console.secret!));
 */
export function withConsoleCredentials(config: Readonly<Config>, secretString: string): Readonly<Config> {
  const where = `CONSOLE_SECRET ${config.console.secret ?? ''}`.trim();
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch {
    throw new ConfigError([`${where}: its value is not JSON; expected {"token": "..."} or {"user": "...", "password": "..."}`]);
  }
  const fields = (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  const text = (field: string) => (typeof fields[field] === 'string' && (fields[field] as string).trim() !== '' ? (fields[field] as string) : undefined);
  const credentials = { token: text('token'), user: text('user'), password: text('password') };
  const problems = credentialProblems(credentials, (field) => `"${field}"`).map((problem) => `${where}: ${problem}`);
  if (credentials.token === undefined && credentials.password === undefined) {
    problems.push(`${where}: expected a "token" field, or "user" and "password"`);
  }
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze({ ...config, console: Object.freeze({ ...config.console, ...credentials }) });
}

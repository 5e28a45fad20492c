/**
 * Configuration, read once from the environment with SIH's variable names and meanings, validated
 * with every problem reported at once, frozen, and injected. Nothing else reads `process.env`.
 */
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { DEFAULTS, LIMITS } from './limits.js';

/** SIH's flags are the strings "Yes"/"No"; we also accept true/false/1/0 for convenience. */
const flag = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const normalized = value.trim().toLowerCase();
      if (['yes', 'true', '1', 'on'].includes(normalized)) return true;
      if (['no', 'false', '0', 'off'].includes(normalized)) return false;
      ctx.addIssue({ code: 'custom', message: `expected Yes or No, got "${value}"` });
      return z.NEVER;
    });

const positiveInt = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const number = Number(value);
      if (!Number.isInteger(number) || number <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected a positive whole number, got "${value}"` });
        return z.NEVER;
      }
      return number;
    });

const nonNegativeInt = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const number = Number(value);
      if (!Number.isInteger(number) || number < 0) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number (0 or more), got "${value}"` });
        return z.NEVER;
      }
      return number;
    });

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const EnvSchema = z.object({
  /** 0 picks a free port (tests, several instances on one machine). */
  PORT: nonNegativeInt(8080),
  HOST: optionalString,
  SHUTTER_DATA_DIR: optionalString,
  /** `local` (folders under the data dir) or `s3`. Defaults to s3 inside Lambda, local elsewhere. */
  SHUTTER_STORAGE: z.enum(['local', 's3']).optional(),
  S3_ENDPOINT: optionalString,
  AWS_REGION: optionalString,
  AWS_LAMBDA_FUNCTION_NAME: optionalString,
  SOURCE_BUCKETS: optionalString,
  AUTO_WEBP: flag(false),
  /** Not in SIH: also negotiate AVIF when the client accepts it. */
  AUTO_AVIF: flag(false),
  CORS_ENABLED: flag(false),
  CORS_ORIGIN: z.string().optional().default('*'),
  ENABLE_SIGNATURE: flag(false),
  SECRETS_MANAGER: optionalString,
  SECRET_KEY: optionalString,
  ENABLE_DEFAULT_FALLBACK_IMAGE: flag(false),
  DEFAULT_FALLBACK_IMAGE_BUCKET: optionalString,
  DEFAULT_FALLBACK_IMAGE_KEY: optionalString,
  REWRITE_MATCH_PATTERN: optionalString,
  REWRITE_SUBSTITUTION: z.string().optional(),
  /** SIH 6.2+: sharp's input pixel limit. */
  SHARP_SIZE_LIMIT: optionalString,
  /** Not in SIH: refuse any request that is not a named preset (guards against cost amplification). */
  PRESETS_ONLY: flag(false),
  /** Not in SIH: a JSON file of named presets, usable from every door. */
  PRESETS_FILE: optionalString,
  /** Not in SIH: where results over the Lambda response limit are stored and redirected to. */
  RESULT_BUCKET: optionalString,
  MAX_SOURCE_BYTES: positiveInt(LIMITS.maxSourceBytes),
  MAX_OUTPUT_DIMENSION: positiveInt(LIMITS.maxOutputDimension),
  PROCESSING_TIMEOUT_MS: positiveInt(LIMITS.processingTimeoutMs),
  SHARP_CONCURRENCY: positiveInt(DEFAULTS.sharpConcurrency),
  MAX_CONCURRENT_RENDERS: positiveInt(DEFAULTS.maxConcurrentRenders),
  /** Not in SIH: requests that may wait for a render slot; beyond, 503 + Retry-After. 0 sheds at once. */
  MAX_QUEUED_RENDERS: nonNegativeInt(DEFAULTS.maxQueuedRenders),
  /** Not in SIH: the most one on-demand request may take before it is answered 503 (also the server's drain time). */
  REQUEST_TIMEOUT_MS: positiveInt(0),
  /** Not in SIH: the most one storage call attempt may take. */
  STORAGE_TIMEOUT_MS: positiveInt(LIMITS.storageTimeoutMs),
  /** Seed the default bucket with sample photos on first start (local only). */
  SHUTTER_SEED_SAMPLES: flag(true),
});

export interface Config {
  port: number;
  host: string | undefined;
  dataDir: string;
  storage: 'local' | 's3';
  s3Endpoint: string | undefined;
  region: string | undefined;
  inLambda: boolean;
  sourceBuckets: readonly string[];
  autoWebp: boolean;
  autoAvif: boolean;
  cors: { enabled: boolean; origin: string };
  signature: { enabled: boolean; secretName: string | undefined; secretKey: string | undefined };
  fallbackImage: { bucket: string; key: string } | undefined;
  rewrite: { pattern: RegExp; substitution: string } | undefined;
  presetsOnly: boolean;
  presetsFile: string | undefined;
  resultBucket: string | undefined;
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
  seedSamples: boolean;
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
  const parsed = EnvSchema.safeParse(env);
  const problems: string[] = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  if (!parsed.success) throw new ConfigError(problems);
  const e = parsed.data;
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
  // Unset, the request deadline follows a raised processing timeout, keeping 5 s for storage reads.
  const requestTimeoutMs = e.REQUEST_TIMEOUT_MS || Math.max(LIMITS.requestTimeoutMs, e.PROCESSING_TIMEOUT_MS + 5_000);
  if (requestTimeoutMs <= e.PROCESSING_TIMEOUT_MS) {
    problems.push(
      `REQUEST_TIMEOUT_MS (${requestTimeoutMs}) must be larger than PROCESSING_TIMEOUT_MS (${e.PROCESSING_TIMEOUT_MS}), so a slow render reports its own timeout`,
    );
  }
  if (problems.length) throw new ConfigError(problems);

  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.SHUTTER_DATA_DIR ?? 'data'),
    storage,
    s3Endpoint: e.S3_ENDPOINT,
    region: e.AWS_REGION,
    inLambda,
    sourceBuckets: Object.freeze(sourceBuckets),
    autoWebp: e.AUTO_WEBP,
    autoAvif: e.AUTO_AVIF,
    cors: { enabled: e.CORS_ENABLED, origin: e.CORS_ORIGIN },
    signature: { enabled: e.ENABLE_SIGNATURE, secretName: e.SECRETS_MANAGER, secretKey: e.SECRET_KEY },
    fallbackImage,
    rewrite,
    presetsOnly: e.PRESETS_ONLY,
    presetsFile: e.PRESETS_FILE,
    resultBucket: e.RESULT_BUCKET,
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
    seedSamples: e.SHUTTER_SEED_SAMPLES,
  });
}

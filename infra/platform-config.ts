/**
 * The deployment's settings, read from CDK context (`cdk.json` or `cdk deploy -c Name=Value`)
 * with the AWS Serverless Image Handler's parameter names where SIH has one, so an SIH user
 * carries their settings over unchanged. SIH's CloudFormation spellings (`SourceBucketsParameter`,
 * `LogRetentionPeriodParameter`, `CloudFrontPriceClassParameter`, ...) are accepted too.
 *
 * Every value is validated here, and every problem is reported at once as a {@link ConfigError}.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

/** CloudWatch Logs accepts only these retention periods (days); SIH offers the same list. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const PRICE_CLASSES = ['PriceClass_All', 'PriceClass_200', 'PriceClass_100'] as const;
export type PriceClassName = (typeof PRICE_CLASSES)[number];

/** Athena refuses a per-query scan cutoff below 10 MB. */
const MIN_ATHENA_CUTOFF_BYTES = 10_000_000;

/** SIH's flags are "Yes"/"No"; cdk.json may also hold real booleans. */
const flag = (fallback: boolean) =>
  z
    .union([z.boolean(), z.string()])
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      if (typeof value === 'boolean') return value;
      const normalized = value.trim().toLowerCase();
      if (['yes', 'true'].includes(normalized)) return true;
      if (['no', 'false'].includes(normalized)) return false;
      ctx.addIssue({ code: 'custom', message: `expected Yes or No, got "${value}"` });
      return z.NEVER;
    });

const text = z
  .union([z.string(), z.number()])
  .optional()
  .transform((value) =>
    value === undefined || String(value).trim() === '' ? undefined : String(value).trim(),
  );

const wholeNumber = (fallback: number) =>
  z
    .union([z.number(), z.string()])
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const number = Number(value);
      if (!Number.isSafeInteger(number) || number <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected a positive whole number, got "${value}"` });
        return z.NEVER;
      }
      return number;
    });

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$/;

const ContextSchema = z.object({
  /** SIH: comma-separated buckets the image handler may read; the first is the default. The platform's own images bucket is always added. */
  SourceBuckets: text,
  CorsEnabled: flag(false),
  CorsOrigin: text,
  AutoWebP: flag(false),
  /** shutter: also negotiate AVIF from Accept. */
  AutoAvif: flag(false),
  /** shutter (DIT v8 has it): size images a URL leaves open from client hints (DPR, Width, Viewport-Width); the hints join the cache key, bucketed. */
  ClientHints: flag(false),
  EnableSignature: flag(false),
  /** SIH: an existing secret's name; empty with EnableSignature=Yes creates one. */
  SecretsManagerSecret: text,
  SecretsManagerKey: text,
  EnableDefaultFallbackImage: flag(false),
  FallbackImageS3Bucket: text,
  FallbackImageS3Key: text,
  RewriteMatchPattern: text,
  RewriteSubstitution: text,
  /** SIH: CloudWatch Logs retention in days. */
  LogRetention: wholeNumber(180),
  PriceClass: text,
  /** shutter: the stack's name. */
  StackName: text,
  /** shutter: email address subscribed to the alarm topic. */
  AlarmEmail: text,
  /** shutter: MSK Serverless and the event archive (a fixed hourly cost, see docs/cost-model.md). */
  EnableStreaming: flag(true),
  EnableQuickSight: flag(false),
  QuickSightPrincipalArn: text,
  AthenaBytesScannedLimit: wholeNumber(10 * 1024 ** 3),
  /** shutter: a custom domain for the distribution, with its ACM certificate (us-east-1). */
  DomainName: text,
  CertificateArn: text,
  /** shutter: a WAFv2 web ACL (scope CLOUDFRONT) to attach to the distribution. */
  WebAclArn: text,
  /** shutter: replicate the images bucket to this bucket (another Region or account), encrypted with this key. */
  ReplicationBucketArn: text,
  ReplicationKmsKeyArn: text,
  /** shutter: where `npm run build:lambdas` puts the Lambda bundles. */
  LambdaAssetsDir: text,
  /** shutter: the backfill state machine: Distributed (a Distributed Map), Inline (what the local engine runs) or No. */
  Backfill: text,
  /** shutter: the operator console as a static site behind its own CloudFront distribution. */
  EnableConsole: flag(false),
  /** shutter: any new value makes CloudFront read the origin secret again (docs/deploy.md, "Rotating the origin secret"). */
  OriginSecretRotation: text,
  /** shutter: the built console (`npm run build` writes console/dist). */
  ConsoleDir: text,
});

/** Other spellings accepted for a key: SIH's CloudFormation parameter names. */
const ALIASES: Record<string, readonly string[]> = {
  LogRetention: ['LogRetentionPeriod', 'LogRetentionPeriodParameter'],
  PriceClass: ['CloudFrontPriceClass', 'CloudFrontPriceClassParameter'],
};

/** Every context key the platform reads (other context, such as CDK feature flags, is left alone). */
export const CONTEXT_KEYS = Object.keys(ContextSchema.shape) as ReadonlyArray<
  keyof typeof ContextSchema.shape
>;

/** The validated settings, in the shape the stack needs. */
export interface PlatformSettings {
  stackName: string;
  sourceBuckets: readonly string[];
  cors: { enabled: boolean; origin: string };
  autoWebp: boolean;
  autoAvif: boolean;
  clientHints: boolean;
  /** Undefined when signatures are off. `secretName` undefined: the platform creates the secret. */
  signature: { secretName: string | undefined; secretKey: string } | undefined;
  fallbackImage: { bucket: string; key: string } | undefined;
  rewrite: { matchPattern: string; substitution: string } | undefined;
  logRetentionDays: (typeof LOG_RETENTION_DAYS)[number];
  priceClass: PriceClassName;
  alarmEmail: string | undefined;
  streaming: boolean;
  quickSight: { principalArn: string } | undefined;
  athenaBytesScannedLimit: number;
  domain: { name: string; certificateArn: string } | undefined;
  webAclArn: string | undefined;
  replication: { bucketArn: string; kmsKeyArn: string } | undefined;
  lambdaAssetsDir: string;
  backfill: 'distributed' | 'inline' | false;
  /** Undefined when the console site is off. */
  console: { directory: string } | undefined;
  /** A label of the last origin secret rotation; a new one updates the distribution. */
  originSecretRotation: string | undefined;
}

/**
 * Validates the context values (looked up by `get`, e.g. `key => app.node.tryGetContext(key)`)
 * and returns the settings, or throws a ConfigError listing every problem.
 *
 * @example
 * const settings = parsePlatformContext((key) => app.node.tryGetContext(key));
 */
export function parsePlatformContext(get: (key: string) => unknown): Readonly<PlatformSettings> {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const spellings = [key, `${key}Parameter`, ...(ALIASES[key] ?? [])];
    raw[key] = spellings.map(get).find((value) => value !== undefined && value !== null);
  }
  const parsed = ContextSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const c = parsed.data;
  const problems: string[] = [];

  const sourceBuckets = (c.SourceBuckets ?? '').replace(/\s+/g, '').split(',').filter(Boolean);
  for (const bucket of sourceBuckets) {
    if (!BUCKET_NAME.test(bucket)) problems.push(`SourceBuckets: "${bucket}" is not a valid bucket name`);
  }

  let signature: PlatformSettings['signature'];
  if (c.EnableSignature) {
    if (c.SecretsManagerSecret && !c.SecretsManagerKey) {
      problems.push(
        'SecretsManagerKey: EnableSignature is Yes with an existing SecretsManagerSecret, so name the JSON key that holds the signing key',
      );
    }
    signature = { secretName: c.SecretsManagerSecret, secretKey: c.SecretsManagerKey ?? 'signatureKey' };
  }

  let fallbackImage: PlatformSettings['fallbackImage'];
  if (c.EnableDefaultFallbackImage) {
    if (!c.FallbackImageS3Bucket || !c.FallbackImageS3Key) {
      problems.push(
        'FallbackImageS3Bucket and FallbackImageS3Key: both are required when EnableDefaultFallbackImage is Yes',
      );
    } else if (!BUCKET_NAME.test(c.FallbackImageS3Bucket)) {
      problems.push(`FallbackImageS3Bucket: "${c.FallbackImageS3Bucket}" is not a valid bucket name`);
    } else fallbackImage = { bucket: c.FallbackImageS3Bucket, key: c.FallbackImageS3Key };
  }

  let rewrite: PlatformSettings['rewrite'];
  if (c.RewriteMatchPattern || c.RewriteSubstitution) {
    if (!c.RewriteMatchPattern || c.RewriteSubstitution === undefined) {
      problems.push('RewriteMatchPattern and RewriteSubstitution: set both or neither');
    } else {
      try {
        const literal = /^\/(.*)\/([a-z]*)$/s.exec(c.RewriteMatchPattern);
        new RegExp(literal ? literal[1]! : c.RewriteMatchPattern, literal ? literal[2] : undefined);
        rewrite = { matchPattern: c.RewriteMatchPattern, substitution: c.RewriteSubstitution };
      } catch (error) {
        problems.push(`RewriteMatchPattern: not a valid regular expression (${(error as Error).message})`);
      }
    }
  }

  const logRetentionDays = LOG_RETENTION_DAYS.find((days) => days === c.LogRetention);
  if (logRetentionDays === undefined) {
    problems.push(
      `LogRetention: ${c.LogRetention} days is not a CloudWatch Logs retention period (one of ${LOG_RETENTION_DAYS.join(', ')})`,
    );
  }

  const priceClass = (c.PriceClass ?? 'PriceClass_All') as PriceClassName;
  if (!PRICE_CLASSES.includes(priceClass))
    problems.push(`PriceClass: expected one of ${PRICE_CLASSES.join(', ')}, got "${c.PriceClass}"`);

  if (c.AlarmEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(c.AlarmEmail))
    problems.push(`AlarmEmail: "${c.AlarmEmail}" is not an email address`);

  let quickSight: PlatformSettings['quickSight'];
  if (c.EnableQuickSight) {
    if (!c.QuickSightPrincipalArn || !ARN.test(c.QuickSightPrincipalArn)) {
      problems.push(
        'QuickSightPrincipalArn: EnableQuickSight is Yes, so give the ARN of the QuickSight user or group that owns the data source and data set',
      );
    } else quickSight = { principalArn: c.QuickSightPrincipalArn };
  }

  if (c.AthenaBytesScannedLimit < MIN_ATHENA_CUTOFF_BYTES) {
    problems.push(
      `AthenaBytesScannedLimit: Athena's smallest per-query limit is ${MIN_ATHENA_CUTOFF_BYTES} bytes, got ${c.AthenaBytesScannedLimit}`,
    );
  }

  let domain: PlatformSettings['domain'];
  if (c.DomainName || c.CertificateArn) {
    if (!c.DomainName || !c.CertificateArn)
      problems.push('DomainName and CertificateArn: set both or neither');
    else if (!/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/.+$/.test(c.CertificateArn)) {
      problems.push(
        'CertificateArn: CloudFront needs an ACM certificate in us-east-1 (arn:aws:acm:us-east-1:...)',
      );
    } else domain = { name: c.DomainName, certificateArn: c.CertificateArn };
  }

  if (c.WebAclArn && !/^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/.+$/.test(c.WebAclArn)) {
    problems.push(
      'WebAclArn: CloudFront needs a WAFv2 web ACL with scope CLOUDFRONT (arn:aws:wafv2:us-east-1:...:global/webacl/...)',
    );
  }

  let replication: PlatformSettings['replication'];
  if (c.ReplicationBucketArn || c.ReplicationKmsKeyArn) {
    if (!c.ReplicationBucketArn || !c.ReplicationKmsKeyArn)
      problems.push('ReplicationBucketArn and ReplicationKmsKeyArn: set both or neither');
    else if (!/^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(c.ReplicationBucketArn)) {
      problems.push(`ReplicationBucketArn: "${c.ReplicationBucketArn}" is not an S3 bucket ARN`);
    } else if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/.test(c.ReplicationKmsKeyArn)) {
      problems.push(`ReplicationKmsKeyArn: "${c.ReplicationKmsKeyArn}" is not a KMS key ARN`);
    } else replication = { bucketArn: c.ReplicationBucketArn, kmsKeyArn: c.ReplicationKmsKeyArn };
  }

  const backfillValue = (c.Backfill ?? 'Distributed').toLowerCase();
  const backfill = ({ distributed: 'distributed', inline: 'inline', no: false } as const)[
    backfillValue as 'distributed' | 'inline' | 'no'
  ];
  if (backfill === undefined) problems.push(`Backfill: expected Distributed, Inline or No, got "${c.Backfill}"`);

  const stackName = c.StackName ?? 'Shutter';
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName))
    problems.push(`StackName: "${stackName}" is not a valid CloudFormation stack name`);

  if (problems.length) throw new ConfigError(problems);
  return Object.freeze({
    stackName,
    sourceBuckets,
    cors: { enabled: c.CorsEnabled, origin: c.CorsOrigin ?? '*' },
    autoWebp: c.AutoWebP,
    autoAvif: c.AutoAvif,
    clientHints: c.ClientHints,
    signature,
    fallbackImage,
    rewrite,
    logRetentionDays: logRetentionDays!,
    priceClass,
    alarmEmail: c.AlarmEmail,
    streaming: c.EnableStreaming,
    quickSight,
    athenaBytesScannedLimit: c.AthenaBytesScannedLimit,
    domain,
    webAclArn: c.WebAclArn,
    replication,
    lambdaAssetsDir: c.LambdaAssetsDir ?? 'dist/lambda',
    backfill: backfill!,
    console: c.EnableConsole ? { directory: c.ConsoleDir ?? 'console/dist' } : undefined,
    originSecretRotation: c.OriginSecretRotation,
  });
}

/**
 * Context settings: SIH's parameter names and spellings, safe defaults, and every problem
 * reported at once with the key it concerns.
 */
import { ConfigError } from '../../core/errors.js';
import { CONTEXT_KEYS, parsePlatformContext } from '../../infra/platform-config.js';

const parse = (context: Record<string, unknown>) => parsePlatformContext((key) => context[key]);

function problemsOf(context: Record<string, unknown>): readonly string[] {
  try {
    parse(context);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

test('defaults are safe and SIH-like: no signature, no CORS, all price classes, 180-day logs, streaming on', () => {
  expect(parse({})).toEqual({
    stackName: 'Shutter',
    sourceBuckets: [],
    cors: { enabled: false, origin: '*' },
    autoWebp: false,
    autoAvif: false,
    clientHints: false,
    signature: undefined,
    fallbackImage: undefined,
    rewrite: undefined,
    logRetentionDays: 180,
    priceClass: 'PriceClass_All',
    alarmEmail: undefined,
    streaming: true,
    quickSight: undefined,
    athenaBytesScannedLimit: 10 * 1024 ** 3,
    domain: undefined,
    webAclArn: undefined,
    replication: undefined,
    lambdaAssetsDir: 'dist/lambda',
    backfill: 'distributed',
    console: undefined,
    originSecretRotation: undefined,
  });
});

test('Backfill is Distributed (default), Inline or No, in any case; anything else is reported', () => {
  expect(parse({ Backfill: 'inline' }).backfill).toBe('inline');
  expect(parse({ Backfill: 'No' }).backfill).toBe(false);
  expect(parse({ Backfill: 'DISTRIBUTED' }).backfill).toBe('distributed');
  expect(problemsOf({ Backfill: 'sometimes' })).toEqual(['Backfill: expected Distributed, Inline or No, got "sometimes"']);
});

test.each([
  ['SIH names', { SourceBuckets: 'a-bucket, b-bucket', LogRetention: 30, PriceClass: 'PriceClass_100' }],
  [
    'SIH CloudFormation parameter names',
    {
      SourceBucketsParameter: 'a-bucket,b-bucket',
      LogRetentionPeriodParameter: '30',
      CloudFrontPriceClassParameter: 'PriceClass_100',
    },
  ],
])('accepts %s', (_, context) => {
  expect(parse(context)).toMatchObject({
    sourceBuckets: ['a-bucket', 'b-bucket'],
    logRetentionDays: 30,
    priceClass: 'PriceClass_100',
  });
});

test('flags take Yes/No (SIH), true/false and JSON booleans', () => {
  expect(
    parse({ AutoWebP: 'Yes', CorsEnabled: true, AutoAvif: 'false', EnableStreaming: 'No' }),
  ).toMatchObject({
    autoWebp: true,
    cors: { enabled: true },
    autoAvif: false,
    streaming: false,
  });
});

test('EnableSignature without a secret creates one keyed "signatureKey"; with one, uses it', () => {
  expect(parse({ EnableSignature: 'Yes' }).signature).toEqual({
    secretName: undefined,
    secretKey: 'signatureKey',
  });
  expect(
    parse({ EnableSignature: 'Yes', SecretsManagerSecret: 'my-secret', SecretsManagerKey: 'hmac' }).signature,
  ).toEqual({ secretName: 'my-secret', secretKey: 'hmac' });
  expect(parse({ SecretsManagerSecret: 'my-secret' }).signature).toBeUndefined();
});

test('every problem is reported at once, each naming its key', () => {
  const problems = problemsOf({
    SourceBuckets: 'Not_A_Bucket',
    AutoWebP: 'maybe',
    LogRetention: 42,
    PriceClass: 'PriceClass_50',
    EnableDefaultFallbackImage: 'Yes',
    EnableSignature: 'Yes',
    SecretsManagerSecret: 'existing',
    EnableQuickSight: 'Yes',
    DomainName: 'images.example.com',
    CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/x',
    ReplicationBucketArn: 'arn:aws:s3:::replica',
    RewriteMatchPattern: '/(unclosed/',
    RewriteSubstitution: 'x',
    AthenaBytesScannedLimit: 1000,
    AlarmEmail: 'not-an-email',
  });
  // The schema stage stops at malformed values; fix AutoWebP and the rest are all listed together.
  expect(problems).toEqual([expect.stringMatching(/^AutoWebP: expected Yes or No, got "maybe"/)]);
  const rest = problemsOf({
    SourceBuckets: 'Not_A_Bucket',
    LogRetention: 42,
    PriceClass: 'PriceClass_50',
    EnableDefaultFallbackImage: 'Yes',
    EnableSignature: 'Yes',
    SecretsManagerSecret: 'existing',
    EnableQuickSight: 'Yes',
    DomainName: 'images.example.com',
    CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/x',
    ReplicationBucketArn: 'arn:aws:s3:::replica',
    RewriteMatchPattern: '/(unclosed/',
    RewriteSubstitution: 'x',
    AthenaBytesScannedLimit: 1000,
    AlarmEmail: 'not-an-email',
  });
  const keys = rest.map((problem) => problem.split(':')[0]);
  expect(keys).toEqual([
    'SourceBuckets',
    'SecretsManagerKey',
    'FallbackImageS3Bucket and FallbackImageS3Key',
    'RewriteMatchPattern',
    'LogRetention',
    'PriceClass',
    'AlarmEmail',
    'QuickSightPrincipalArn',
    'AthenaBytesScannedLimit',
    'CertificateArn',
    'ReplicationBucketArn and ReplicationKmsKeyArn',
  ]);
  expect(rest.join('\n')).toContain('us-east-1');
});

test('malformed values of several keys are reported together', () => {
  expect(
    problemsOf({ AutoWebP: 'maybe', LogRetention: 'forever', CorsEnabled: 'sometimes' })
      .map((problem) => problem.split(':')[0])
      .sort(),
  ).toEqual(['AutoWebP', 'CorsEnabled', 'LogRetention']);
});

test('the keys are the documented ones (README, Deploy)', () => {
  expect(CONTEXT_KEYS).toEqual(
    expect.arrayContaining([
      'SourceBuckets',
      'CorsEnabled',
      'CorsOrigin',
      'AutoWebP',
      'EnableSignature',
      'SecretsManagerSecret',
      'SecretsManagerKey',
      'EnableDefaultFallbackImage',
      'FallbackImageS3Bucket',
      'FallbackImageS3Key',
      'LogRetention',
      'PriceClass',
    ]),
  );
});

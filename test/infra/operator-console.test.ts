/**
 * The operator console as a static site (context EnableConsole=Yes): the built files copied to a
 * private, KMS-encrypted bucket that only the console's distribution reads (Origin Access
 * Control), served over HTTPS with the security headers the local server sends. One synthesis,
 * with cdk-nag.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CONSOLE_CSP, CONSOLE_SECURITY_HEADERS } from '../../api/console-static.js';
import { OperatorConsole } from '../../infra/operator-console.js';
import { parsePlatformContext } from '../../infra/platform-config.js';
import { recordSynth } from './record-synth.js';
import { synthPlatform, type SynthesizedPlatform } from './synth-platform.js';
import { asArray, logicalIdByPath, render, resources, type Resource } from './template-queries.js';

/** A stand-in for `console/dist`: what `npm run build` writes, in miniature. */
function builtConsole(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shutter-console-dist-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="assets/app-ABC123.js"></script>');
  writeFileSync(path.join(dir, 'assets/app-ABC123.js'), 'console.log("console");');
  return dir;
}

let platform: SynthesizedPlatform;
let siteBucket: string;
let distributionId: string;
let distribution: Record<string, unknown>;
const consoleDir = builtConsole();

beforeAll(() => {
  platform = synthPlatform({ nag: true, context: { EnableConsole: 'Yes', ConsoleDir: consoleDir, EnableStreaming: 'No' } });
  recordSynth('console', platform);
  const { template } = platform;
  siteBucket = logicalIdByPath(template, 'AWS::S3::Bucket', 'Console/Site');
  distributionId = logicalIdByPath(template, 'AWS::CloudFront::Distribution', 'Console/Distribution');
  distribution = (template.toJSON().Resources[distributionId] as Resource).Properties!.DistributionConfig as Record<string, unknown>;
}, 120_000);

test('cdk-nag finds nothing unacknowledged', () => {
  expect(platform.violations).toEqual([]);
});

test('the setting is off by default, and on points at console/dist unless ConsoleDir says otherwise', () => {
  expect(parsePlatformContext(() => undefined).console).toBeUndefined();
  expect(parsePlatformContext((key) => (key === 'EnableConsole' ? 'Yes' : undefined)).console).toEqual({ directory: 'console/dist' });
});

test('the built files are deployed into the site bucket, and the page is invalidated on each deploy', () => {
  const [[, deployment]] = resources(platform.template, 'Custom::CDKBucketDeployment') as [[string, Resource]];
  expect(deployment.Properties).toMatchObject({
    DestinationBucketName: { Ref: siteBucket },
    DistributionId: { Ref: distributionId },
    DistributionPaths: ['/', '/index.html'],
  });
  // The asset CDK staged from ConsoleDir is the build, file for file.
  const staged = readdirSync(platform.outdir).filter((entry) => entry.startsWith('asset.'));
  const withIndex = staged.filter((entry) => {
    try {
      return readdirSync(path.join(platform.outdir, entry)).includes('index.html');
    } catch {
      return false;
    }
  });
  expect(withIndex).toHaveLength(1);
  expect(readdirSync(path.join(platform.outdir, withIndex[0]!, 'assets'))).toEqual(['app-ABC123.js']);
});

test('the site bucket is private, KMS-encrypted with its own rotated key, and TLS-only', () => {
  const bucket = platform.template.toJSON().Resources[siteBucket] as Resource;
  expect(bucket.Properties!.PublicAccessBlockConfiguration).toEqual({
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  });
  const rule = (bucket.Properties!.BucketEncryption as { ServerSideEncryptionConfiguration: Array<{ ServerSideEncryptionByDefault: { SSEAlgorithm: string; KMSMasterKeyID: unknown } }> })
    .ServerSideEncryptionConfiguration[0]!;
  expect(rule.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
  const keyId = logicalIdByPath(platform.template, 'AWS::KMS::Key', 'Console/Key');
  expect(render(rule.ServerSideEncryptionByDefault.KMSMasterKeyID)).toBe(`<${keyId}.Arn>`);
  expect((platform.template.toJSON().Resources[keyId] as Resource).Properties!.EnableKeyRotation).toBe(true);
});

test("only this distribution reads the bucket (Origin Access Control, scoped by its ARN); only the account's CloudFront may decrypt", () => {
  expect(resources(platform.template, 'AWS::CloudFront::OriginAccessControl')).toHaveLength(1);
  const origins = distribution.Origins as Array<Record<string, unknown>>;
  expect(origins).toHaveLength(1);
  expect(origins[0]).toMatchObject({
    DomainName: { 'Fn::GetAtt': [siteBucket, 'RegionalDomainName'] },
    OriginAccessControlId: { 'Fn::GetAtt': [expect.any(String), 'Id'] },
    S3OriginConfig: { OriginAccessIdentity: '' },
  });
  const policy = resources(platform.template, 'AWS::S3::BucketPolicy').find(
    ([, p]) => render((p.Properties as { Bucket: unknown }).Bucket) === `<${siteBucket}>`,
  )![1];
  const statements = (policy.Properties as { PolicyDocument: { Statement: Array<Record<string, unknown>> } }).PolicyDocument.Statement;
  const reads = statements.filter((statement) => statement.Effect === 'Allow');
  expect(reads).toEqual([
    expect.objectContaining({
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
    }),
  ]);
  expect(render((reads[0]!.Condition as { StringEquals: Record<string, unknown> }).StringEquals['AWS:SourceArn'])).toContain(`distribution/<${distributionId}>`);
  expect(statements).toEqual(
    expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
  );
  const keyId = logicalIdByPath(platform.template, 'AWS::KMS::Key', 'Console/Key');
  const keyStatements = ((platform.template.toJSON().Resources[keyId] as Resource).Properties!.KeyPolicy as { Statement: Array<Record<string, unknown>> }).Statement;
  const cloudFrontDecrypt = keyStatements.filter((statement) => JSON.stringify(statement.Principal).includes('cloudfront.amazonaws.com'));
  expect(cloudFrontDecrypt).toHaveLength(1);
  expect(asArray(cloudFrontDecrypt[0]!.Action as string | string[])).toContain('kms:Decrypt');
  // CDK scopes the key grant to this account's distributions (`distribution/*`): naming this one
  // would make the key depend on the distribution, which depends on the bucket, which uses the key.
  const condition = cloudFrontDecrypt[0]!.Condition as { ArnLike: { 'AWS:SourceArn': unknown } };
  expect(render(condition.ArnLike['AWS:SourceArn'])).toBe('arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/*');
});

test('HTTPS, index.html at the root, logs apart from the image CDN', () => {
  expect(distribution).toMatchObject({
    DefaultRootObject: 'index.html',
    DefaultCacheBehavior: expect.objectContaining({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] }),
    Logging: expect.objectContaining({ Prefix: 'cloudfront-console/' }),
  });
  const logs = platform.template.toJSON().Resources[logicalIdByPath(platform.template, 'AWS::S3::Bucket', 'Storage/Logs')] as Resource;
  expect((logs.Properties!.LifecycleConfiguration as { Rules: Array<{ Prefix?: string }> }).Rules.map((rule) => rule.Prefix)).toContain('cloudfront-console/');
});

test('every response carries the security headers the local server sends with the console', () => {
  const policyId = render((distribution.DefaultCacheBehavior as { ResponseHeadersPolicyId: unknown }).ResponseHeadersPolicyId).replace(/^<|>$/g, '');
  const config = (platform.template.toJSON().Resources[policyId] as Resource).Properties!.ResponseHeadersPolicyConfig as {
    SecurityHeadersConfig: Record<string, Record<string, unknown>>;
    CustomHeadersConfig: { Items: Array<{ Header: string; Value: string }> };
  };
  expect(config.SecurityHeadersConfig).toMatchObject({
    ContentSecurityPolicy: { ContentSecurityPolicy: CONSOLE_CSP, Override: true },
    ContentTypeOptions: { Override: true },
    FrameOptions: { FrameOption: 'DENY', Override: true },
    ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
    StrictTransportSecurity: expect.objectContaining({ AccessControlMaxAgeSec: 63072000 }),
  });
  expect(CONSOLE_CSP).toContain("script-src 'self'");
  expect(CONSOLE_CSP).not.toContain('unsafe-');
  for (const item of config.CustomHeadersConfig.Items) expect(item.Value).toBe(CONSOLE_SECURITY_HEADERS[item.Header]);
  expect(config.CustomHeadersConfig.Items.map((item) => item.Header).sort()).toEqual(
    ['Cross-Origin-Opener-Policy', 'Cross-Origin-Resource-Policy', 'Permissions-Policy'],
  );
});

test('an unbuilt console fails synthesis with what to run', () => {
  const stack = new Stack(new App(), 'Unbuilt');
  const logs = s3.Bucket.fromBucketName(stack, 'Logs', 'logs-bucket');
  expect(() => new OperatorConsole(stack, 'Console', { directory: path.join(consoleDir, 'missing'), logs })).toThrow(
    /not built: no index\.html .*npm run build/,
  );
});

test('the stack outputs the console URL', () => {
  const outputs = platform.template.toJSON().Outputs as Record<string, { Value: unknown }>;
  expect(render(outputs.ConsoleUrl!.Value)).toBe(`https://<${distributionId}.DomainName>`);
});

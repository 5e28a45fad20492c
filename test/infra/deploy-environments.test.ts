/**
 * The stack as `cdk deploy` synthesizes it: with a concrete account and Region (the CLI passes
 * CDK_DEFAULT_ACCOUNT/REGION), and the variations a new user meets first: the README's example
 * in eu-west-1, streaming off (what docs/cost-model.md recommends to start), a 60-character stack
 * name, and a second Region. cdk-nag must find nothing unacknowledged in any of them.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { synthPlatform } from './synth-platform.js';
import { render, resources, type Resource } from './template-queries.js';

const ACCOUNT = '123456789012';

test.each([
  ['the README example, Region only (a configured profile)', { region: 'eu-west-1' }, { SourceBuckets: 'my-photos' }],
  ['account and Region, as cdk deploy', { account: ACCOUNT, region: 'eu-west-1' }, { SourceBuckets: 'my-photos' }],
  ['EnableStreaming=No', { account: ACCOUNT, region: 'us-west-2' }, { EnableStreaming: 'No' }],
  [
    'signatures, source buckets, fallback image and replication, in a second Region',
    { account: ACCOUNT, region: 'eu-central-1' },
    {
      SourceBuckets: 'my-photos,other-photos',
      EnableSignature: 'Yes',
      EnableDefaultFallbackImage: 'Yes',
      FallbackImageS3Bucket: 'fallback-bucket',
      FallbackImageS3Key: 'fallback.jpg',
      ReplicationBucketArn: 'arn:aws:s3:::images-replica',
      ReplicationKmsKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/66666666-7777-8888-9999-000000000000`,
    },
  ],
  ['a 60-character stack name', { account: ACCOUNT, region: 'ap-southeast-2' }, { StackName: `S${'x'.repeat(59)}` }],
])('cdk-nag passes: %s', (_name, env, context) => {
  expect(synthPlatform({ nag: true, env, context }).violations).toEqual([]);
});

describe('CloudFront logs', () => {
  const distributionOf = (template: Template) => {
    const [, distribution] = resources(template, 'AWS::CloudFront::Distribution')[0]!;
    return distribution as Resource & { DependsOn?: string[] };
  };
  const loggingBucket = (template: Template) =>
    render((distributionOf(template).Properties!.DistributionConfig as { Logging: { Bucket: unknown } }).Logging.Bucket);

  test('in an opt-in Region CloudFront cannot deliver to, they go to a bucket the stack creates in us-east-1 (as SIH does)', () => {
    const { template, violations } = synthPlatform({ nag: true, env: { account: ACCOUNT, region: 'af-south-1' }, context: { EnableStreaming: 'No' } });
    expect(violations).toEqual([]);
    expect(loggingBucket(template)).toMatch(/^shutter-cf-logs-<select .*>\.s3\.us-east-1\.amazonaws\.com$/);
    const created = resources(template, 'Custom::AWS').filter(([, resource]) => JSON.stringify(resource.Properties).includes('CreateBucket'));
    expect(created).toHaveLength(1);
    // The SDK call as JSON text with the bucket name's tokens in it.
    const create = render(created[0]![1].Properties!.Create);
    expect(create).toContain('"region":"us-east-1"');
    expect(create).toContain('"ObjectOwnership":"BucketOwnerPreferred"');
    // Public access blocked, TLS only, logs expiring, all before CloudFront is pointed at it.
    const steps = resources(template, 'Custom::AWS').filter(([, resource]) => String(resource.Metadata?.['aws:cdk:path']).includes('CloudFrontLogs/'));
    expect(steps.map(([, resource]) => /"action":"(\w+)"/.exec(render(resource.Properties!.Create))![1]).sort()).toEqual([
      'CreateBucket',
      'PutBucketLifecycleConfiguration',
      'PutBucketPolicy',
      'PutPublicAccessBlock',
    ]);
    expect(distributionOf(template).DependsOn).toEqual(expect.arrayContaining(steps.map(([id]) => id)));
    // The cloudfront_logs table reads them there.
    const [, table] = resources(template, 'AWS::Glue::Table').find(([, resource]) => JSON.stringify(resource.Properties).includes('"cloudfront_logs"'))!;
    expect(render((table.Properties!.TableInput as { StorageDescriptor: { Location: unknown } }).StorageDescriptor.Location)).toMatch(
      /^s3:\/\/shutter-cf-logs-<select .*>\/cloudfront\/$/,
    );
  });

  test('elsewhere they go to the platform log bucket, and nothing is created in us-east-1', () => {
    const { template } = synthPlatform({ env: { account: ACCOUNT, region: 'eu-west-1' }, context: { EnableStreaming: 'No' } });
    expect(loggingBucket(template)).toMatch(/^<PlatformStorageLogs\w+\.RegionalDomainName>$/);
    expect(JSON.stringify(template.toJSON())).not.toContain('CreateBucket');
  });
});

/**
 * The stack as `cdk deploy` synthesizes it: with a concrete account and Region (the CLI passes
 * CDK_DEFAULT_ACCOUNT/REGION), and the variations a new user meets first: the README's example
 * in eu-west-1, streaming off (what docs/cost-model.md recommends to start), a 60-character stack
 * name, and a second Region. cdk-nag must find nothing unacknowledged in any of them.
 */
import { synthPlatform } from './synth-platform.js';

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

/**
 * The platform with every option an SIH user or operator can set through context turned on —
 * signatures, fallback image, extra source buckets, CORS, AutoWebP, a custom domain, WAF,
 * replication, QuickSight, an alarm email — and streaming turned off. One synthesis, with cdk-nag.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as iam from 'aws-cdk-lib/aws-iam';
import { loadConfig } from '../../core/config.js';
import { SigningSecret } from '../../infra/signing-secret.js';
import { recordSynth } from './record-synth.js';
import { synthPlatform, type SynthesizedPlatform } from './synth-platform.js';
import { grantsOf, logicalIdByPath, only, render, resources, type Resource } from './template-queries.js';

const CONTEXT = {
  StackName: 'Images',
  SourceBucketsParameter: 'my-photos, other-photos',
  CorsEnabled: 'Yes',
  CorsOrigin: 'https://www.example.com',
  AutoWebP: 'Yes',
  EnableSignature: 'Yes',
  EnableDefaultFallbackImage: 'Yes',
  FallbackImageS3Bucket: 'fallback-bucket',
  FallbackImageS3Key: 'images/fallback.jpg',
  LogRetentionPeriodParameter: '30',
  PriceClass: 'PriceClass_100',
  AlarmEmail: 'ops@example.com',
  EnableStreaming: 'No',
  EnableQuickSight: 'Yes',
  QuickSightPrincipalArn: 'arn:aws:quicksight:us-east-1:123456789012:group/default/analysts',
  AthenaBytesScannedLimit: '1000000000',
  DomainName: 'images.example.com',
  CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
  WebAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/shutter/abcd',
  ReplicationBucketArn: 'arn:aws:s3:::images-replica',
  ReplicationKmsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:key/66666666-7777-8888-9999-000000000000',
  ClientHints: 'Yes',
};

let platform: SynthesizedPlatform;
let template: Template;
const handlerEnv = () =>
  (
    (
      template.toJSON().Resources[
        logicalIdByPath(template, 'AWS::Lambda::Function', 'Delivery/ImageHandler/Function')
      ] as Resource
    ).Properties!.Environment as { Variables: Record<string, unknown> }
  ).Variables;

beforeAll(() => {
  platform = synthPlatform({ nag: true, context: CONTEXT });
  template = platform.template;
  recordSynth('options', platform);
});

test('cdk-nag reports no unacknowledged finding with every option on', () => {
  expect(platform.violations).toEqual([]);
});

test("the image handler gets SIH's variables for each setting, and core/config.ts accepts them", () => {
  const variables = handlerEnv();
  expect(variables).toMatchObject({
    AUTO_WEBP: 'Yes',
    CORS_ENABLED: 'Yes',
    CORS_ORIGIN: 'https://www.example.com',
    ENABLE_SIGNATURE: 'Yes',
    SECRET_KEY: 'signatureKey',
    ENABLE_DEFAULT_FALLBACK_IMAGE: 'Yes',
    DEFAULT_FALLBACK_IMAGE_BUCKET: 'fallback-bucket',
    DEFAULT_FALLBACK_IMAGE_KEY: 'images/fallback.jpg',
  });
  const images = logicalIdByPath(template, 'AWS::S3::Bucket', 'Storage/Images');
  // SIH: the user's first source bucket stays the default; the platform's bucket comes last.
  expect(render(variables.SOURCE_BUCKETS)).toBe(`my-photos,other-photos,<${images}>`);
  const env = Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      render(value).replace(/<([\w.]+)>/g, (_, id: string) => id.toLowerCase()),
    ]),
  );
  const config = loadConfig({ ...env, AWS_LAMBDA_FUNCTION_NAME: 'image-handler' });
  expect(config).toMatchObject({
    sourceBuckets: ['my-photos', 'other-photos', images.toLowerCase()],
    autoWebp: true,
    cors: { enabled: true, origin: 'https://www.example.com' },
    signature: { enabled: true, secretKey: 'signatureKey' },
    fallbackImage: { bucket: 'fallback-bucket', key: 'images/fallback.jpg' },
  });
});

test('a signing secret is created, encrypted with the data key, and only the image handler may read it', () => {
  const secretId = logicalIdByPath(template, 'AWS::SecretsManager::Secret', 'Signing/Secret');
  const secret = template.toJSON().Resources[secretId] as Resource;
  expect(secret.Properties).toMatchObject({
    KmsKeyId: { 'Fn::GetAtt': [logicalIdByPath(template, 'AWS::KMS::Key', 'Storage/DataKey'), 'Arn'] },
    GenerateSecretString: {
      GenerateStringKey: 'signatureKey',
      PasswordLength: 64,
      SecretStringTemplate: '{}',
    },
  });
  expect(handlerEnv().SECRETS_MANAGER).toEqual({ Ref: secretId });
  const readers = resources(template, 'AWS::IAM::Policy').filter(([, policy]) =>
    JSON.stringify(policy).includes('secretsmanager:GetSecretValue'),
  );
  expect(readers).toHaveLength(1);
  const grants = grantsOf(
    template,
    logicalIdByPath(template, 'AWS::IAM::Role', 'Delivery/ImageHandler/Role'),
  );
  expect(grants).toEqual(
    expect.arrayContaining([{ action: 'secretsmanager:GetSecretValue', resource: `<${secretId}>` }]),
  );
  const viaSecrets = grants.filter(
    (grant) => grant.action === 'kms:Decrypt' && JSON.stringify(grant.condition).includes('secretsmanager.'),
  );
  expect(viaSecrets).toHaveLength(1);
});

test('the handler may read the named source buckets and exactly the fallback object', () => {
  const grants = grantsOf(
    template,
    logicalIdByPath(template, 'AWS::IAM::Role', 'Delivery/ImageHandler/Role'),
  ).filter((grant) => grant.action === 's3:GetObject');
  expect(grants.map((grant) => grant.resource)).toEqual(
    expect.arrayContaining([
      'arn:<AWS::Partition>:s3:::my-photos/*',
      'arn:<AWS::Partition>:s3:::other-photos/*',
      'arn:<AWS::Partition>:s3:::fallback-bucket/images/fallback.jpg',
    ]),
  );
});

test('CloudFront: custom domain with TLS 1.2 minimum, WAF, price class, and Accept kept for AutoWebP', () => {
  const [, distribution] = only(template, 'AWS::CloudFront::Distribution');
  expect(distribution.Properties!.DistributionConfig).toMatchObject({
    Aliases: ['images.example.com'],
    ViewerCertificate: {
      AcmCertificateArn: CONTEXT.CertificateArn,
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    },
    WebACLId: CONTEXT.WebAclArn,
    PriceClass: 'PriceClass_100',
  });
  template.hasResourceProperties('AWS::CloudFront::Function', {
    FunctionCode: Match.stringLikeRegexp('var mayWebp = auto \\|\\| true;'),
  });
});

test('ClientHints: the handler sizes by hints, and the bucketed hints join the cache key', () => {
  expect(handlerEnv()).toMatchObject({ CLIENT_HINTS: 'Yes' });
  template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
    CachePolicyConfig: Match.objectLike({
      ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
        HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['accept', 'x-viewer-host', 'sec-ch-dpr', 'sec-ch-width', 'sec-ch-viewport-width'] },
      }),
    }),
  });
  template.hasResourceProperties('AWS::CloudFront::Function', { FunctionCode: Match.stringLikeRegexp('var HINTS = ') });
});

test('the images bucket replicates, re-encrypted with the replica side key', () => {
  template.hasResourceProperties('AWS::S3::Bucket', {
    ReplicationConfiguration: {
      Role: Match.anyValue(),
      Rules: [
        Match.objectLike({
          Destination: Match.objectLike({
            Bucket: CONTEXT.ReplicationBucketArn,
            EncryptionConfiguration: { ReplicaKmsKeyID: CONTEXT.ReplicationKmsKeyArn },
          }),
          SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
          Status: 'Enabled',
        }),
      ],
    },
  });
});

test('without streaming there is no cluster, no VPC, no archive, and no task in a VPC', () => {
  for (const type of [
    'AWS::MSK::ServerlessCluster',
    'AWS::EC2::VPC',
    'AWS::Lambda::EventSourceMapping',
    'Custom::AWS',
  ])
    expect(resources(template, type)).toHaveLength(0);
  for (const [, fn] of resources(template, 'AWS::Lambda::Function'))
    expect(fn.Properties!.VpcConfig).toBeUndefined();
  expect(JSON.stringify(template.toJSON())).not.toContain('OffsetLag');
  expect(JSON.stringify(template.toJSON())).not.toContain('kafka-cluster:');
});

test.each(['Workflows/PublishTask', 'Workflows/QuarantineTask', 'Workflows/HandleFailureTask', 'Delivery/ImageHandler'])(
  'without streaming, %s writes its events to the lake bucket (never the read-only task root)',
  (path) => {
    const fn = template.toJSON().Resources[logicalIdByPath(template, 'AWS::Lambda::Function', `${path}/Function`)] as Resource;
    const variables = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    const logs = logicalIdByPath(template, 'AWS::S3::Bucket', 'Storage/Logs');
    expect(variables.LAKE_BUCKET).toEqual({ Ref: logs });
    expect(variables.KAFKA_BROKERS).toBeUndefined();
    // The real config loader: events go to the lake bucket, not to Kafka.
    const env = Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [name, render(value).replace(/<(\w+)>/g, (_, id: string) => id.toLowerCase())]),
    );
    const config = loadConfig({ ...env, AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_REGION: 'eu-west-1' });
    expect(config.events).toMatchObject({ lakeBucket: logs.toLowerCase(), kafka: undefined });
    // ... and may write there, under the events table's prefix only.
    const role = logicalIdByPath(template, 'AWS::IAM::Role', `${path}/Role`);
    expect(grantsOf(template, role)).toEqual(
      expect.arrayContaining([{ action: 's3:PutObject', resource: `<${logs}.Arn>/events/*` }]),
    );
  },
);

test('OriginSecretRotation changes the distribution, so CloudFormation reads the origin secret again', () => {
  const comment = (rotation?: string) => {
    const synthesized = synthPlatform({ context: { EnableStreaming: 'No', ...(rotation ? { OriginSecretRotation: rotation } : {}) } });
    const [, distribution] = only(synthesized.template, 'AWS::CloudFront::Distribution');
    return (distribution.Properties!.DistributionConfig as { Comment: string }).Comment;
  };
  expect(comment('202612050700')).not.toBe(comment());
  expect(comment('202612050700')).toContain('202612050700');
});

test('QuickSight: an Athena data source on the workgroup and a direct-query data set over events_once (each event once), owned by the given principal', () => {
  const [, workGroup] = only(template, 'AWS::Athena::WorkGroup');
  template.hasResourceProperties('AWS::QuickSight::DataSource', {
    Type: 'ATHENA',
    DataSourceParameters: { AthenaParameters: { WorkGroup: workGroup.Properties!.Name } },
    Permissions: [Match.objectLike({ Principal: CONTEXT.QuickSightPrincipalArn })],
  });
  template.hasResourceProperties('AWS::QuickSight::DataSet', {
    ImportMode: 'DIRECT_QUERY',
    PhysicalTableMap: {
      events: {
        RelationalTable: Match.objectLike({
          Name: 'events_once',
          Schema: 'images_shutter',
          // Text columns only: QuickSight has no struct type for `data`.
          InputColumns: Match.arrayWith([{ Name: 'id', Type: 'STRING' }, { Name: 'dt', Type: 'STRING' }]),
        }),
      },
    },
  });
  expect(
    (workGroup.Properties!.WorkGroupConfiguration as Record<string, unknown>).BytesScannedCutoffPerQuery,
  ).toBe(1_000_000_000);
});

test('LogRetention (SIH LogRetentionPeriod) sets log groups and log object expiry', () => {
  const ours = resources(template, 'AWS::Logs::LogGroup');
  expect(ours.length).toBeGreaterThan(0);
  for (const [, group] of ours) expect(group.Properties!.RetentionInDays).toBe(30);
  template.hasResourceProperties('AWS::S3::Bucket', {
    LifecycleConfiguration: {
      Rules: Match.arrayWith([
        Match.objectLike({ Id: 'expire-cloudfront-logs', Prefix: 'cloudfront/', ExpirationInDays: 30 }),
      ]),
    },
  });
});

test('alarms reach the given email address', () => {
  template.hasResourceProperties('AWS::SNS::Subscription', {
    Protocol: 'email',
    Endpoint: 'ops@example.com',
  });
});

test('an existing signing secret is referenced by name and readable only under that name', () => {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'SecretStack');
  const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const signing = new SigningSecret(stack, 'Signing', {
    secretName: 'sih-signing',
    secretKey: 'key',
    encryptionKey: new kms.Key(stack, 'Key'),
  });
  signing.grantRead(role);
  expect(signing.secretId).toBe('sih-signing');
  const small = Template.fromStack(stack);
  small.resourceCountIs('AWS::SecretsManager::Secret', 0);
  small.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: [
        {
          Action: 'secretsmanager:GetSecretValue',
          Effect: 'Allow',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':secretsmanager:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':secret:sih-signing-??????',
              ],
            ],
          },
        },
      ],
    },
  });
});

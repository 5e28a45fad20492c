/**
 * The platform as `cdk synth` builds it with default settings, checked offline: every bucket
 * encrypted and TLS-only, least privilege role by role, delivery in SIH's shape,
 * the workflow trigger, MSK with IAM auth in private subnets, the lake tables and the alarms.
 * One synthesis for the whole file; cdk-nag on this configuration runs in cdk-synth.test.ts.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { CACHE_KEY_QUERY_PARAMETERS } from '../../api/doors/query-params.js';
import { ORIGIN_HEADER } from '../../api/origin-guard.js';
import { EVENTS_ONCE_VIEW, EVENTS_TABLE as LAKE_EVENTS, hiveType, prestoType } from '../../analytics/tables.js';
import { EVENTS_TABLE } from '../../infra/lake-tables.js';
import { kafkaConfig } from '../../core/adapters/aws/kafka-client.js';
import { loadConfig } from '../../core/config.js';
import { RETRYABLE_ERROR_NAMES } from '../../core/errors.js';
import { LAMBDA_SERVICE_ERRORS } from '../../workflows/image-workflow.js';
import { acknowledgements, recordSynth } from './record-synth.js';
import { synthPlatform, type SynthesizedPlatform } from './synth-platform.js';
import {
  asArray,
  grantsOf,
  identityStatements,
  logicalIdByPath,
  only,
  render,
  resources,
  type Resource,
} from './template-queries.js';

/**
 * The only actions allowed on Resource "*", each because the service offers no resource-level
 * permission for it (see the AWS Service Authorization Reference).
 */
const SERVICE_REQUIRES_STAR = new Map<string, string>([
  ['xray:PutTraceSegments', 'X-Ray (Lambda and Step Functions tracing)'],
  ['xray:PutTelemetryRecords', 'X-Ray (Lambda and Step Functions tracing)'],
  ['xray:GetSamplingRules', 'X-Ray (Step Functions tracing)'],
  ['xray:GetSamplingTargets', 'X-Ray (Step Functions tracing)'],
  ['rekognition:DetectFaces', 'Rekognition image analysis'],
  ['rekognition:DetectModerationLabels', 'Rekognition image analysis'],
  ['rekognition:DetectLabels', 'Rekognition image analysis'],
  ['ec2:CreateNetworkInterface', 'Lambda ENIs in a VPC / MSK event source pollers'],
  ['ec2:DescribeNetworkInterfaces', 'Lambda ENIs in a VPC / MSK event source pollers'],
  ['ec2:DeleteNetworkInterface', 'Lambda ENIs in a VPC / MSK event source pollers'],
  ['ec2:AssignPrivateIpAddresses', 'Lambda ENIs in a VPC'],
  ['ec2:UnassignPrivateIpAddresses', 'Lambda ENIs in a VPC'],
  ['ec2:DescribeSubnets', 'Lambda ENIs in a VPC / MSK event source pollers'],
  ['ec2:DescribeVpcs', 'MSK event source pollers'],
  ['ec2:DescribeSecurityGroups', 'MSK event source pollers'],
  ['logs:CreateLogDelivery', 'Step Functions logging (CloudWatch vended logs)'],
  ['logs:GetLogDelivery', 'Step Functions logging (CloudWatch vended logs)'],
  ['logs:UpdateLogDelivery', 'Step Functions logging (CloudWatch vended logs)'],
  ['logs:DeleteLogDelivery', 'Step Functions logging (CloudWatch vended logs)'],
  ['logs:ListLogDeliveries', 'Step Functions logging (CloudWatch vended logs)'],
  ['logs:PutResourcePolicy', 'Step Functions logging (CloudWatch vended logs)'],
  ['logs:DescribeResourcePolicies', 'Step Functions logging (CloudWatch vended logs)'],
  ['logs:DescribeLogGroups', 'Step Functions logging (CloudWatch vended logs)'],
]);

let platform: SynthesizedPlatform;
let template: Template;
const bucketId = (name: string) => logicalIdByPath(template, 'AWS::S3::Bucket', `Storage/${name}`);
const roleId = (path: string) => logicalIdByPath(template, 'AWS::IAM::Role', path);
const functionResource = (path: string) =>
  template.toJSON().Resources[logicalIdByPath(template, 'AWS::Lambda::Function', path)] as Resource;

beforeAll(() => {
  // cdk-nag runs on this same configuration in cdk-synth.test.ts (the real `cdk synth`).
  platform = synthPlatform();
  template = platform.template;
  recordSynth('default', platform);
});

describe('cdk-nag acknowledgements', () => {
  test('every AwsSolutions acknowledgement states its reason', () => {
    const ours = acknowledgements(platform).filter(({ id }) => id.startsWith('AwsSolutions-'));
    expect(ours.length).toBeGreaterThan(0);
    for (const { reason } of ours) expect(reason.length).toBeGreaterThanOrEqual(30);
  });
});

describe('storage', () => {
  test('five buckets: images, uploads, renditions, quarantine, logs (and the archive failures, with streaming)', () => {
    expect(resources(template, 'AWS::S3::Bucket')).toHaveLength(6);
    for (const name of ['Images', 'Uploads', 'Renditions', 'Quarantine', 'Logs'])
      expect(bucketId(name)).toBeTruthy();
    expect(logicalIdByPath(template, 'AWS::S3::Bucket', 'Streaming/ArchiveFailures')).toBeTruthy();
  });

  test('every bucket is encrypted with a customer-managed KMS key, with bucket keys', () => {
    const keys = resources(template, 'AWS::KMS::Key').map(([id]) => id);
    for (const [, bucket] of resources(template, 'AWS::S3::Bucket')) {
      const rule = (
        bucket.Properties!.BucketEncryption as {
          ServerSideEncryptionConfiguration: Array<Record<string, unknown>>;
        }
      ).ServerSideEncryptionConfiguration[0] as {
        ServerSideEncryptionByDefault: { SSEAlgorithm: string; KMSMasterKeyID: unknown };
        BucketKeyEnabled: boolean;
      };
      expect(rule.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
      expect(keys).toContain(
        render(rule.ServerSideEncryptionByDefault.KMSMasterKeyID).replace(/^<|\.Arn>$|>$/g, ''),
      );
      expect(rule.BucketKeyEnabled).toBe(true);
    }
    for (const [, key] of resources(template, 'AWS::KMS::Key'))
      expect(key.Properties!.EnableKeyRotation).toBe(true);
  });

  test('every bucket refuses plain HTTP and TLS below 1.2, and blocks public access', () => {
    const policies = resources(template, 'AWS::S3::BucketPolicy');
    for (const [id, bucket] of resources(template, 'AWS::S3::Bucket')) {
      expect(bucket.Properties!.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const policy = policies.find(
        ([, p]) => render((p.Properties as { Bucket: unknown }).Bucket) === `<${id}>`,
      );
      expect(policy).toBeDefined();
      const statements = (
        policy![1].Properties as { PolicyDocument: { Statement: Array<Record<string, unknown>> } }
      ).PolicyDocument.Statement;
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      );
    }
  });

  test('uploads are deleted 7 days after they arrive, and announce themselves to EventBridge', () => {
    template.hasResource('AWS::S3::Bucket', {
      Metadata: { 'aws:cdk:path': Match.stringLikeRegexp('Storage/Uploads/Resource$') },
      Properties: Match.objectLike({
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ Id: 'expire-uploads', ExpirationInDays: 7, Status: 'Enabled' }),
          ]),
        },
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      }),
    });
  });

  test('source images and quarantine are versioned; renditions (reproducible) are not', () => {
    const versioning = (name: string) =>
      (
        template.toJSON().Resources[bucketId(name)].Properties.VersioningConfiguration as
          { Status: string } | undefined
      )?.Status;
    expect(versioning('Images')).toBe('Enabled');
    expect(versioning('Quarantine')).toBe('Enabled');
    expect(versioning('Renditions')).toBeUndefined();
  });

  test('every bucket but the log bucket logs its access into the log bucket, under s3-access/', () => {
    const logs = bucketId('Logs');
    for (const [id, bucket] of resources(template, 'AWS::S3::Bucket')) {
      const logging = bucket.Properties!.LoggingConfiguration as
        { DestinationBucketName: unknown; LogFilePrefix: string } | undefined;
      if (id === logs) expect(logging).toBeUndefined();
      else {
        expect(render(logging!.DestinationBucketName)).toBe(`<${logs}>`);
        expect(logging!.LogFilePrefix).toMatch(/^s3-access\//);
      }
    }
  });

  test('data outlives the stack: buckets and keys are retained', () => {
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key']) {
      for (const [, resource] of resources(template, type))
        expect((resource as { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
    }
  });
});

describe('least privilege', () => {
  test(`no statement grants Resource "*" except for actions whose service requires it (${SERVICE_REQUIRES_STAR.size} listed)`, () => {
    const offenders: string[] = [];
    for (const { statement, policy } of identityStatements(template)) {
      if (!asArray(statement.Resource).includes('*')) continue;
      for (const action of asArray(statement.Action))
        if (!SERVICE_REQUIRES_STAR.has(action)) offenders.push(`${policy}: ${action}`);
    }
    expect(offenders).toEqual([]);
  });

  test('no statement allows a service-wide action wildcard (s3:*, kms:*, ...)', () => {
    const wildcards = identityStatements(template).flatMap(({ statement }) =>
      asArray(statement.Action).filter((action) => action === '*' || action.endsWith(':*')),
    );
    expect(wildcards).toEqual([]);
  });

  test('no role uses an AWS managed policy except the API Gateway logging role, CDK custom-resource provider and CodeDeploy', () => {
    const withManaged = resources(template, 'AWS::IAM::Role')
      .filter(([, role]) => asArray(role.Properties!.ManagedPolicyArns).length > 0)
      .map(([, role]) => String(role.Metadata?.['aws:cdk:path']));
    expect(withManaged.sort()).toEqual([
      expect.stringMatching(/AWS679f53fac002430cb0da5b7982bd2287\/ServiceRole\/Resource$/),
      expect.stringMatching(/Delivery\/Api\/CloudWatchRole\/Resource$/),
      // CDK's LambdaDeploymentGroup always attaches AWSCodeDeployRoleForLambdaLimited (safe-rollout.ts).
      expect.stringMatching(/Rollout\/ServiceRole\/Resource$/),
    ]);
  });

  test('the image handler reads the images bucket, writes only its events to the lake, and uses keys only through S3 and Secrets Manager', () => {
    const grants = grantsOf(template, roleId('Delivery/ImageHandler/Role'));
    const images = `<${bucketId('Images')}.Arn>`;
    const lake = `<${bucketId('Logs')}.Arn>/events/*`;
    expect(grants).toEqual(expect.arrayContaining([{ action: 's3:GetObject', resource: `${images}/*` }]));
    const s3Grants = grants.filter((grant) => grant.action.startsWith('s3:'));
    expect(s3Grants.filter((grant) => grant.resource.startsWith(images)).map((grant) => grant.action).sort()).toEqual([
      's3:GetObject',
      's3:ListBucket',
    ]);
    expect(s3Grants.filter((grant) => !grant.resource.startsWith(images))).toEqual(
      expect.arrayContaining([
        { action: 's3:PutObject', resource: lake },
        { action: 's3:AbortMultipartUpload', resource: lake },
      ]),
    );
    // Results over 6 MB (RESULT_BUCKET): written under results/ of the renditions bucket, read back through a presigned URL.
    const results = `<${bucketId('Renditions')}.Arn>`;
    expect(s3Grants.filter((grant) => grant.resource.startsWith(results)).map((grant) => [grant.action, grant.resource]).sort()).toEqual([
      ['s3:AbortMultipartUpload', `${results}/results/*`],
      ['s3:GetObject', `${results}/results/*`],
      ['s3:ListBucket', results],
      ['s3:PutObject', `${results}/results/*`],
    ]);
    expect(s3Grants.filter((grant) => !grant.resource.startsWith(images) && !grant.resource.startsWith(results))).toHaveLength(2);
    for (const grant of grants.filter((g) => g.action.startsWith('kms:'))) {
      expect(['kms:Decrypt', 'kms:GenerateDataKey']).toContain(grant.action);
      expect(
        render((grant.condition as { StringEquals: Record<string, unknown> }).StringEquals['kms:ViaService']),
      ).toMatch(/^(s3|secretsmanager)\.<AWS::Region>\.amazonaws\.com$/);
    }
  });

  test.each([
    ['Inspect', { reads: ['Uploads'], writes: [] }],
    ['Moderate', { reads: ['Uploads'], writes: [] }],
    ['Quarantine', { reads: ['Uploads'], writes: ['Quarantine'] }],
    ['SmartCrop', { reads: ['Uploads'], writes: [] }],
    ['RenderRenditions', { reads: ['Uploads'], writes: ['Renditions'] }],
    ['Publish', { reads: [], writes: ['Renditions'] }],
    ['HandleFailure', { reads: [], writes: [] }],
    ['StartImageWorkflow', { reads: ['Uploads'], writes: [] }],
  ])('workflow task %s touches only its buckets and prefixes', (task, expected) => {
    const grants = grantsOf(template, roleId(`Workflows/${task}Task/Role`));
    const objectTarget = (action: string) =>
      grants
        .filter((grant) => grant.action === action)
        .map((grant) => {
          const [, id, rest] = /^<(\w+)\.Arn>\/(.*)\*$/.exec(grant.resource)!;
          const name = ['Images', 'Uploads', 'Renditions', 'Quarantine', 'Logs'].find(
            (bucket) => bucketId(bucket) === id,
          );
          return `${name}${rest ? `/${rest}` : ''}`;
        })
        .sort();
    expect(objectTarget('s3:GetObject')).toEqual(expected.reads);
    expect(objectTarget('s3:PutObject')).toEqual(expected.writes.sort());
    expect(grants.some((grant) => grant.action === 's3:DeleteObject')).toBe(false);
  });

  test('only the publishing tasks may write to Kafka, and only to the platform topic', () => {
    const writers = identityStatements(template)
      .filter(({ statement }) => asArray(statement.Action).includes('kafka-cluster:WriteData'))
      .flatMap(({ roles }) => roles)
      .sort();
    expect(writers).toEqual(
      ['HandleFailure', 'Publish', 'Quarantine'].map((task) => roleId(`Workflows/${task}Task/Role`)).sort(),
    );
    for (const { statement } of identityStatements(template).filter(({ statement }) =>
      asArray(statement.Action).includes('kafka-cluster:WriteData'),
    )) {
      expect(asArray(statement.Resource).map(render)).toEqual([
        expect.stringMatching(/:topic\/Shutter-events\/<select .*>\/shutter-image-events$/),
      ]);
    }
  });
});

describe('on-demand delivery (SIH shape)', () => {
  test('every Lambda runs Node 22 on arm64 with X-Ray tracing and its own log group', () => {
    const ours = resources(template, 'AWS::Lambda::Function').filter(
      ([, fn]) => !String(fn.Metadata?.['aws:cdk:path']).includes('AWS679f53fac'),
    );
    // Image handler, archiver, one per image workflow task (7) and start-image-workflow (the
    // upload trigger and the backfill's step; the Distributed Map lists objects itself), and the
    // topic's custom resource.
    expect(ours.length).toBe(11);
    for (const [, fn] of ours) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
      expect(fn.Properties!.LoggingConfig).toMatchObject({ LogGroup: expect.anything() });
    }
  });

  test("the image handler's environment is SIH's, and core/config.ts accepts it", () => {
    const fn = functionResource('Delivery/ImageHandler/Function');
    expect(fn.Properties).toMatchObject({ MemorySize: 1769, Timeout: 29, Handler: 'index.handler' });
    const variables = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).toMatchObject({
      AUTO_WEBP: 'No',
      CORS_ENABLED: 'No',
      ENABLE_SIGNATURE: 'No',
      ENABLE_DEFAULT_FALLBACK_IMAGE: 'No',
    });
    expect(render(variables.SOURCE_BUCKETS)).toBe(`<${bucketId('Images')}>`);
    // Tokens become plausible bucket names, then the real config loader judges the result.
    const env = Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [
        name,
        render(value).replace(/<(\w+)>/g, (_, id: string) => id.toLowerCase()),
      ]),
    );
    const config = loadConfig({ ...env, AWS_LAMBDA_FUNCTION_NAME: 'image-handler', AWS_REGION: 'eu-west-1' });
    expect(config).toMatchObject({
      storage: 's3',
      autoWebp: false,
      signature: { enabled: false },
      sourceBuckets: [bucketId('Images').toLowerCase()],
    });
  });

  test('API Gateway REST treats every media type as binary, on stage "image", with tracing and access logs', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: ['*/*'],
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'image',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
        Format: Match.stringLikeRegexp('"status":\\$context.status'),
      },
      MethodSettings: [Match.objectLike({ LoggingLevel: 'ERROR', MetricsEnabled: true })],
    });
    const methods = resources(template, 'AWS::ApiGateway::Method')
      .map(([, method]) => method.Properties!.HttpMethod)
      .sort();
    expect(methods).toEqual(['GET', 'GET', 'HEAD', 'HEAD']);
  });

  test('API access logs reach the log bucket under access-logs/dt=YYYY-MM-DD/, one JSON object per line', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^amazon-apigateway-')])] },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BucketARN: { 'Fn::GetAtt': [bucketId('Logs'), 'Arn'] },
        Prefix: 'access-logs/dt=!{timestamp:yyyy-MM-dd}/',
        CompressionFormat: 'GZIP',
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [Match.objectLike({ Type: 'AppendDelimiterToRecord' })],
        },
      }),
    });
  });

  test('the cache key is the path, the query parameters the handler reads and the normalized Accept', () => {
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        ParametersInCacheKeyAndForwardedToOrigin: {
          QueryStringsConfig: { QueryStringBehavior: 'all' },
          // x-viewer-host: the viewer's host, copied by the function for host mappings (API Gateway needs its own Host).
          HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['accept', 'x-viewer-host'] },
          CookiesConfig: { CookieBehavior: 'none' },
          EnableAcceptEncodingGzip: false,
          EnableAcceptEncodingBrotli: false,
        },
      }),
    });
    template.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionConfig: Match.objectLike({ Runtime: 'cloudfront-js-2.0' }),
      FunctionCode: Match.stringLikeRegexp('image/webp'),
    });
    // The viewer-request function keeps exactly CACHE_KEY_QUERY_PARAMETERS (accept-normalizer.test.ts runs it).
    const [, fn] = resources(template, 'AWS::CloudFront::Function').find(([, resource]) => String(resource.Properties!.FunctionCode).includes('QUERY_PARAMETERS'))!;
    const kept = /^var QUERY_PARAMETERS = (.*);$/m.exec(String(fn.Properties!.FunctionCode))![1]!;
    expect(Object.keys(JSON.parse(kept) as object).sort()).toEqual([...CACHE_KEY_QUERY_PARAMETERS].sort());
  });

  test('delivery settings: a DynamoDB table (PITR, kept), read by the image handler by the viewer host, written by nothing else', () => {
    const [tableId, table] = only(template, 'AWS::DynamoDB::GlobalTable');
    expect(table.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'kind', KeyType: 'HASH' },
        { AttributeName: 'name', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      Replicas: [expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
    expect((table as Resource & { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
    const handler = functionResource('Delivery/ImageHandler/Function');
    expect((handler.Properties!.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({ SETTINGS_TABLE: { Ref: tableId }, MAPPING_HOST_HEADER: 'x-viewer-host' });
    const tableGrants = grantsOf(template, roleId('Delivery/ImageHandler/Role')).filter((grant) => grant.resource.includes(tableId));
    expect(tableGrants.map((grant) => grant.action).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    template.hasResourceProperties('AWS::CloudFront::Function', { FunctionCode: Match.stringLikeRegexp("headers\\['x-viewer-host'\\] = \\{ value: headers.host.value \\}") });
  });

  test('the API answers only CloudFront: the distribution sends the origin secret, the handler requires it', () => {
    const secret = logicalIdByPath(template, 'AWS::SecretsManager::Secret', 'OriginSecret/Secret');
    const [, distribution] = resources(template, 'AWS::CloudFront::Distribution').find(([, resource]) =>
      String(resource.Metadata?.['aws:cdk:path']).includes('Delivery/Distribution'),
    )!;
    const origins = (distribution.Properties!.DistributionConfig as { Origins: Array<{ OriginCustomHeaders?: Array<{ HeaderName: string; HeaderValue: unknown }>; S3OriginConfig?: unknown }> }).Origins;
    // The API, and the renditions bucket (OAC: no secret needed, the bucket admits CloudFront only).
    expect(origins).toHaveLength(2);
    expect(origins[1]!.S3OriginConfig).toBeDefined();
    const [originHeader] = origins[0]!.OriginCustomHeaders!;
    expect(originHeader!.HeaderName).toBe(ORIGIN_HEADER);
    // A dynamic reference to the secret's "current" value: resolved at deploy, never in the template.
    expect(render(originHeader!.HeaderValue)).toBe(`{{resolve:secretsmanager:<${secret}>:SecretString:current::}}`);
    const handler = functionResource('Delivery/ImageHandler/Function');
    expect((handler.Properties!.Environment as { Variables: Record<string, unknown> }).Variables.ORIGIN_SECRET).toEqual({ Ref: secret });
    expect(grantsOf(template, roleId('Delivery/ImageHandler/Role'))).toEqual(
      expect.arrayContaining([{ action: 'secretsmanager:GetSecretValue', resource: `<${secret}>` }]),
    );
    // The generated value: long, and SIH-style JSON the guard reads.
    const [, secretResource] = only(template, 'AWS::SecretsManager::Secret');
    expect(secretResource.Properties!.GenerateSecretString).toMatchObject({ GenerateStringKey: 'current', PasswordLength: 64 });
  });

  test("no output names the API Gateway URL: image URLs start at CloudFront", () => {
    const outputs = JSON.stringify(template.toJSON().Outputs);
    expect(outputs).not.toContain('execute-api');
    expect(render((template.toJSON().Outputs as Record<string, { Value: unknown }>).ApiEndpoint!.Value)).toMatch(/^https:\/\/<\w+Distribution\w+\.DomainName>$/);
  });

  test('CloudFront serves HTTPS only, with security headers, logs to cloudfront/ and caches 5xx for a minute', () => {
    const [, distribution] = only(template, 'AWS::CloudFront::Distribution');
    const config = distribution.Properties!.DistributionConfig as Record<string, unknown>;
    expect(config.DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: ['GET', 'HEAD'],
      ResponseHeadersPolicyId: expect.anything(),
      FunctionAssociations: [expect.objectContaining({ EventType: 'viewer-request' })],
    });
    expect(config.Logging).toEqual({
      Bucket: { 'Fn::GetAtt': [bucketId('Logs'), 'RegionalDomainName'] },
      Prefix: 'cloudfront/',
    });
    expect(config.CustomErrorResponses).toEqual(
      [500, 502, 503, 504].map((ErrorCode) => ({ ErrorCode, ErrorCachingMinTTL: 60 })),
    );
    expect(config.Origins).toEqual([
      expect.objectContaining({
        CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
      }),
      expect.objectContaining({ DomainName: { 'Fn::GetAtt': [bucketId('Renditions'), 'RegionalDomainName'] }, OriginAccessControlId: expect.anything() }),
    ]);
    // Renditions by URL: /r/* from the renditions bucket, the prefix dropped, keyed on ?v= only; manifests carry the distribution's URLs.
    expect(config.CacheBehaviors).toEqual([
      expect.objectContaining({ PathPattern: 'r/*', ViewerProtocolPolicy: 'https-only', FunctionAssociations: [expect.objectContaining({ EventType: 'viewer-request' })] }),
    ]);
    template.hasResourceProperties('AWS::CloudFront::Function', { FunctionCode: Match.stringLikeRegexp('request.uri = request.uri.substring\\(2\\)') });
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({ QueryStringsConfig: { QueryStringBehavior: 'whitelist', QueryStrings: ['v'] } }),
      }),
    });
    // The renditions bucket is KMS-encrypted: CloudFront may decrypt with its key, for this account's distributions only.
    const renditions = template.toJSON().Resources[bucketId('Renditions')] as Resource;
    const keyRef = JSON.stringify((renditions.Properties!.BucketEncryption as Record<string, unknown>));
    const keyId = /"Fn::GetAtt":\["(\w+)","Arn"\]/.exec(keyRef)![1]!;
    const keyStatements = ((template.toJSON().Resources[keyId] as Resource).Properties!.KeyPolicy as { Statement: Array<Record<string, unknown>> }).Statement;
    expect(keyStatements).toEqual(expect.arrayContaining([expect.objectContaining({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 'kms:Decrypt' })]));
    const publish = functionResource('Workflows/PublishTask/Function');
    expect(render((publish.Properties!.Environment as { Variables: Record<string, unknown> }).Variables.RENDITIONS_BASE_URL)).toMatch(/^https:\/\/<\w+Distribution\w+\.DomainName>$/);
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          StrictTransportSecurity: Match.objectLike({
            AccessControlMaxAgeSec: 63072000,
            IncludeSubdomains: true,
          }),
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
        }),
      }),
    });
  });
});

describe('workflows', () => {
  test('each state machine (process, backfill) traces with X-Ray and logs every execution step to a retained log group', () => {
    const machines = resources(template, 'AWS::StepFunctions::StateMachine');
    expect(machines.map(([, machine]) => String(machine.Metadata?.['aws:cdk:path'])).sort()).toEqual([
      expect.stringMatching(/Workflows\/Backfill\/Resource$/),
      expect.stringMatching(/Workflows\/Process\/Resource$/),
    ]);
    for (const [, machine] of machines) {
      expect(machine.Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      });
    }
    for (const name of ['process', 'backfill']) {
      template.hasResource('AWS::Logs::LogGroup', {
        // Suffixed with the stack instance's id: retained, so a re-created stack needs a new name (physical-names.test.ts).
        Properties: {
          LogGroupName: { 'Fn::Join': ['', Match.arrayWith([`/aws/vendedlogs/states/Shutter-${name}-`])] },
          RetentionInDays: 180,
        },
        DeletionPolicy: 'Retain',
      });
    }
  });

  test('S3 Object Created on the uploads bucket invokes the start-image-workflow task (upload-trigger.test.ts follows an event through)', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: bucketId('Uploads') }] } },
      },
      Targets: [
        Match.objectLike({
          // The live alias, never $LATEST (safe-rollout.ts).
          Arn: { Ref: Match.stringLikeRegexp('^PlatformWorkflowsStartImageWorkflowTaskLive') },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('UploadEventDeadLetters'), 'Arn'] },
          },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        }),
      ],
    });
  });

  test('Retry matches the retryable error names of core/errors.ts, in every state machine', () => {
    for (const [, machine] of resources(template, 'AWS::StepFunctions::StateMachine')) {
      expect(render(machine.Properties!.DefinitionString)).toContain(
        `"ErrorEquals":${JSON.stringify([...RETRYABLE_ERROR_NAMES, ...LAMBDA_SERVICE_ERRORS])}`,
      );
    }
  });

  test('dead-letter queues are encrypted and refuse plain HTTP', () => {
    for (const [, queue] of resources(template, 'AWS::SQS::Queue'))
      expect(queue.Properties!.SqsManagedSseEnabled).toBe(true);
    for (const [, policy] of resources(template, 'AWS::SQS::QueuePolicy')) {
      expect(
        (policy.Properties as { PolicyDocument: { Statement: unknown[] } }).PolicyDocument.Statement,
      ).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      );
    }
  });
});

describe('streaming', () => {
  test('MSK Serverless authenticates clients with IAM', () => {
    template.hasResourceProperties('AWS::MSK::ServerlessCluster', {
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
    });
  });

  test('the cluster lives in private subnets with no route to the internet, reaching AWS through endpoints', () => {
    expect(resources(template, 'AWS::EC2::InternetGateway')).toHaveLength(0);
    expect(resources(template, 'AWS::EC2::NatGateway')).toHaveLength(0);
    for (const [, subnet] of resources(template, 'AWS::EC2::Subnet'))
      expect(subnet.Properties!.MapPublicIpOnLaunch).toBe(false);
    const services = resources(template, 'AWS::EC2::VPCEndpoint').map(([, endpoint]) =>
      render(endpoint.Properties!.ServiceName),
    );
    expect(services).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\.s3$/),
        expect.stringMatching(/\.sts$/),
        expect.stringMatching(/\.lambda$/),
      ]),
    );
    template.hasResourceProperties('AWS::EC2::FlowLog', { LogDestinationType: 's3' });
  });

  test('the cluster admits only its clients and its pollers, on the IAM port', () => {
    const ingress = resources(template, 'AWS::EC2::SecurityGroupIngress').map(([, rule]) => rule.Properties!);
    expect(
      ingress.every((rule) => rule.CidrIp === undefined && rule.SourceSecurityGroupId !== undefined),
    ).toBe(true);
    expect(ingress.map((rule) => rule.FromPort).sort()).toEqual([443, 9098, 9098]);
  });

  test('the archive consumes the topic with bounded retries, and failed batches go where the pollers can reach', () => {
    const failures = logicalIdByPath(template, 'AWS::S3::Bucket', 'Streaming/ArchiveFailures');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: ['shutter-image-events'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'shutter-events-archiver' },
      // Without these a bad batch is retried forever and its partition never moves on.
      MaximumRetryAttempts: 3,
      BisectBatchOnFunctionError: true,
      MaximumRecordAgeInSeconds: 86_400,
      // Kafka offers the three above in provisioned mode only.
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 2 },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failures, 'Arn'] } } },
    });
    // The pollers deliver from the cluster's subnets: S3 is reachable there through the gateway endpoint.
    const [, endpoint] = resources(template, 'AWS::EC2::VPCEndpoint').find(
      ([, resource]) => resource.Properties!.VpcEndpointType === 'Gateway',
    )!;
    expect(render(endpoint.Properties!.ServiceName)).toBe('com.amazonaws.<AWS::Region>.s3');
    const [, cluster] = only(template, 'AWS::MSK::ServerlessCluster');
    const clusterSubnets = (cluster.Properties!.VpcConfigs as Array<{ SubnetIds: Array<{ Ref: string }> }>)[0]!.SubnetIds;
    const routeTables = new Set(asArray(endpoint.Properties!.RouteTableIds as Array<{ Ref: string }>).map((ref) => ref.Ref));
    for (const subnet of clusterSubnets) {
      const [, association] = resources(template, 'AWS::EC2::SubnetRouteTableAssociation').find(
        ([, resource]) => (resource.Properties!.SubnetId as { Ref: string }).Ref === subnet.Ref,
      )!;
      expect(routeTables).toContain((association.Properties!.RouteTableId as { Ref: string }).Ref);
    }
    // ... with the role's PutObject and ListBucket there (Lambda's guide for S3 destinations).
    const grants = grantsOf(template, roleId('Streaming/Archiver/Role'));
    expect(grants).toEqual(
      expect.arrayContaining([
        { action: 's3:PutObject', resource: `<${failures}.Arn>/*` },
        { action: 's3:ListBucket', resource: `<${failures}.Arn>` },
      ]),
    );
  });

  test("the archive writes the lake where the events table reads it, with the environment analytics/lake-writer.ts needs", () => {
    const archiver = functionResource('Streaming/Archiver/Function');
    const variables = (archiver.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.LAKE_BUCKET).toEqual({ Ref: bucketId('Logs') });
    // Tokens become plausible bucket names, then the real config loader judges the result.
    const config = loadConfig({
      ...Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [
          name,
          render(value).replace(/<(\w+)>/g, (_, id: string) => id.toLowerCase()),
        ]),
      ),
      AWS_LAMBDA_FUNCTION_NAME: 'archiver',
      AWS_REGION: 'eu-west-1',
    });
    expect(config.events.lakeBucket).toBe(bucketId('Logs').toLowerCase());
    expect(config.events.kafka).toBeUndefined();
    const lake = `<${bucketId('Logs')}.Arn>/${EVENTS_TABLE.prefix}*`;
    expect(grantsOf(template, roleId('Streaming/Archiver/Role'))).toEqual(
      expect.arrayContaining([{ action: 's3:PutObject', resource: lake }]),
    );
  });

  test('the stack creates the topic (MSK Serverless does not), over IAM auth from inside the VPC, and keeps it on delete', () => {
    const [topicId, topic] = only(template, 'Custom::KafkaTopic');
    const admin = logicalIdByPath(template, 'AWS::Lambda::Function', 'Streaming/TopicAdmin/Function');
    expect(topic.Properties).toMatchObject({
      ServiceToken: { 'Fn::GetAtt': [admin, 'Arn'] },
      Topic: 'shutter-image-events',
      Partitions: '6',
      Sasl: 'iam',
      Tls: 'true',
      DeleteOnStackDelete: 'false',
    });
    expect(render(topic.Properties!.Brokers)).toMatch(/^<\w+\.BootstrapBrokerStringSaslIam>$/);
    expect(functionResource('Streaming/TopicAdmin/Function').Properties!.VpcConfig).toBeDefined();
    const kafkaActions = grantsOf(template, roleId('Streaming/TopicAdmin/Role'))
      .filter((grant) => grant.action.startsWith('kafka'))
      .map((grant) => grant.action)
      .sort();
    expect(kafkaActions).toEqual([
      'kafka-cluster:AlterTopic',
      'kafka-cluster:Connect',
      'kafka-cluster:CreateTopic',
      'kafka-cluster:DescribeTopic',
    ]);
    // The archive's source starts once the topic exists; no producer may create topics.
    const [, mapping] = only(template, 'AWS::Lambda::EventSourceMapping') as [string, Resource & { DependsOn?: string[] }];
    expect(mapping.DependsOn).toContain(topicId);
    expect(JSON.stringify(identityStatements(template).filter(({ policy }) => !policy.includes('TopicAdmin')))).not.toContain(
      'kafka-cluster:CreateTopic',
    );
  });

  test('publishing tasks run in the VPC and learn the brokers from MSK at deploy time', () => {
    const publish = functionResource('Workflows/PublishTask/Function');
    expect(publish.Properties!.VpcConfig).toBeDefined();
    const variables = (publish.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.KAFKA_TOPIC).toBe('shutter-image-events');
    expect(render(variables.KAFKA_BROKERS)).toMatch(/^<\w+\.BootstrapBrokerStringSaslIam>$/);
    expect(variables).toMatchObject({ KAFKA_SASL: 'iam', KAFKA_TLS: 'Yes' });
    expect(functionResource('Workflows/RenderRenditionsTask/Function').Properties!.VpcConfig).toBeUndefined();
  });

  test.each(['Publish', 'Quarantine', 'HandleFailure'])(
    '%s reaches MSK with IAM auth over TLS: its environment gives kafkajs SSL and SASL OAUTHBEARER',
    (task) => {
      const variables = (functionResource(`Workflows/${task}Task/Function`).Properties!.Environment as {
        Variables: Record<string, unknown>;
      }).Variables;
      const env = Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [
          name,
          name === 'KAFKA_BROKERS'
            ? 'boot-abc123.c2.kafka-serverless.eu-west-1.amazonaws.com:9098'
            : render(value).replace(/<(\w+)>/g, (_, id: string) => id.toLowerCase()),
        ]),
      );
      const config = loadConfig({ ...env, AWS_LAMBDA_FUNCTION_NAME: task, AWS_REGION: 'eu-west-1' });
      expect(config.events.kafka).toMatchObject({ sasl: 'iam', tls: true, topic: 'shutter-image-events' });
      const settings = kafkaConfig(config.events.kafka!, config.region);
      expect(settings.ssl).toBe(true);
      expect(settings.sasl).toMatchObject({ mechanism: 'oauthbearer', oauthBearerProvider: expect.any(Function) });
      // The role may connect to this cluster only (the token's kafka-cluster:Connect).
      const connect = grantsOf(template, roleId(`Workflows/${task}Task/Role`)).filter(
        (grant) => grant.action === 'kafka-cluster:Connect',
      );
      expect(connect.map((grant) => grant.resource)).toEqual([
        expect.stringMatching(/^<PlatformStreamingCluster\w+\.Arn>$/),
      ]);
    },
  );
});

describe('analytics', () => {
  test('events and access logs are Glue tables projecting daily partitions from dt=YYYY-MM-DD/', () => {
    for (const [name, prefix] of [
      ['events', 'events/'],
      ['access_logs', 'access-logs/'],
    ]) {
      template.hasResourceProperties('AWS::Glue::Table', {
        TableInput: Match.objectLike({
          Name: name,
          PartitionKeys: [{ Name: 'dt', Type: 'string', Comment: Match.anyValue() }],
          Parameters: Match.objectLike({
            'projection.enabled': 'true',
            'projection.dt.type': 'date',
            'projection.dt.format': 'yyyy-MM-dd',
            'storage.location.template': {
              'Fn::Join': ['', ['s3://', { Ref: bucketId('Logs') }, `/${prefix}dt=\${dt}/`]],
            },
          }),
        }),
      });
    }
  });

  test('the events table reads data as the struct DuckDB reads, so the dashboard queries run on Athena as they are', () => {
    const [, events] = resources(template, 'AWS::Glue::Table').find(([, table]) => (table.Properties!.TableInput as { Name: string }).Name === 'events')!;
    const columns = (events.Properties!.TableInput as { StorageDescriptor: { Columns: Array<{ Name: string; Type: string }> } }).StorageDescriptor.Columns;
    expect(columns.map((column) => [column.Name, column.Type])).toEqual(LAKE_EVENTS.columns.map((column) => [column.name, hiveType(column.type)]));
    expect(columns.find((column) => column.Name === 'data')!.Type).toMatch(/^struct<.*\bsample_rate:double\b/);
  });

  test('events_once is a Glue view holding the very SQL DuckDB creates, with the types Athena derives from events', () => {
    const [viewId, view] = resources(template, 'AWS::Glue::Table').find(([, table]) => (table.Properties!.TableInput as { Name: string }).Name === 'events_once')!;
    const input = view.Properties!.TableInput as { TableType: string; Parameters: Record<string, string>; ViewOriginalText: string; StorageDescriptor: { Columns: Array<{ Name: string; Type: string }>; SerdeInfo: object } };
    expect(input.TableType).toBe('VIRTUAL_VIEW');
    expect(input.Parameters.presto_view).toBe('true');
    expect(input.StorageDescriptor.SerdeInfo).toEqual({});
    const encoded = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(input.ViewOriginalText)![1]!;
    const presto = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as { originalSql: string; catalog: string; schema: string; columns: Array<{ name: string; type: string }> };
    expect(presto.originalSql).toBe(EVENTS_ONCE_VIEW.sql);
    expect(presto.catalog).toBe('awsdatacatalog');
    expect(presto.schema).toBe(view.Properties!.DatabaseName);
    const expected = [...LAKE_EVENTS.columns, { name: 'dt', type: { kind: 'string' as const } }];
    expect(presto.columns).toEqual(expected.map((column) => ({ name: column.name, type: prestoType(column.type) })));
    expect(input.StorageDescriptor.Columns.map((column) => [column.Name, column.Type])).toEqual(expected.map((column) => [column.name, hiveType(column.type)]));
    expect(presto.columns.find((column) => column.name === 'data')!.type).toMatch(/^row\(.*\bsample_rate double\b/);
    // Created after the table it reads.
    const [eventsId] = resources(template, 'AWS::Glue::Table').find(([, table]) => (table.Properties!.TableInput as { Name: string }).Name === 'events')!;
    expect(asArray(template.toJSON().Resources[viewId].DependsOn)).toContain(eventsId);
  });

  test('the Athena workgroup enforces KMS-encrypted results and a 10 GiB scan limit per query', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        ResultConfiguration: Match.objectLike({
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: bucketId('Logs') }, '/athena-results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: Match.anyValue() },
        }),
      }),
    });
  });

  test('QuickSight is off unless asked for', () => {
    expect(resources(template, 'AWS::QuickSight::DataSource')).toHaveLength(0);
  });
});

describe('monitoring', () => {
  const alarmOn = (metricName: string) =>
    resources(template, 'AWS::CloudWatch::Alarm').filter(([, alarm]) =>
      JSON.stringify(alarm.Properties).includes(`"${metricName}"`),
    );

  test.each([
    ['5xx rate', '5XXError'],
    ['latency', 'Latency'],
    ['workflow failures', 'ExecutionsFailed'],
    ['dead-letter depth', 'ApproximateNumberOfMessagesVisible'],
    ['MSK lag', 'OffsetLag'],
  ])('an alarm watches the %s', (_, metricName) => {
    expect(alarmOn(metricName).length).toBeGreaterThan(0);
  });

  test('one alarm per dead-letter queue, and every alarm notifies the encrypted topic', () => {
    expect(alarmOn('ApproximateNumberOfMessagesVisible')).toHaveLength(
      resources(template, 'AWS::SQS::Queue').length,
    );
    const [topicId, topic] = only(template, 'AWS::SNS::Topic');
    expect(topic.Properties!.KmsMasterKeyId).toBeDefined();
    for (const [, alarm] of resources(template, 'AWS::CloudWatch::Alarm'))
      expect(alarm.Properties!.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  test('a dashboard shows the API, the handler, CloudFront, the workflow, the queues and the lag', () => {
    const [, dashboard] = only(template, 'AWS::CloudWatch::Dashboard');
    const body = render(dashboard.Properties!.DashboardBody);
    for (const title of [
      'Image API requests',
      'Image API latency',
      'Image handler',
      'CloudFront',
      'Workflow process',
      'Dead-letter queues',
      'Event archive lag',
    ]) {
      expect(body).toContain(title);
    }
  });
});

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
import { CONSOLE_CSP, CONSOLE_SECURITY_HEADERS } from '../../console/server/static-files.js';
import { VIEWER_HOST_FUNCTION_CODE } from '../../infra/console-api.js';
import { OperatorConsole } from '../../infra/operator-console.js';
import { parsePlatformContext } from '../../infra/platform-config.js';
import { recordSynth } from './record-synth.js';
import { synthPlatform, type SynthesizedPlatform } from './synth-platform.js';
import { ORIGIN_HEADER } from '../../api/origin-guard.js';
import { asArray, grantsOf, logicalIdByPath, only, render, resources, type Resource } from './template-queries.js';

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
  // The console's own access control (the image distribution has its own for the renditions).
  expect(resources(platform.template, 'AWS::CloudFront::OriginAccessControl').filter(([, oac]) => String(oac.Metadata?.['aws:cdk:path']).includes('/Console/'))).toHaveLength(1);
  // The site bucket is the only S3 origin (the other is the console's API).
  const origins = (distribution.Origins as Array<Record<string, unknown>>).filter((origin) => 'S3OriginConfig' in origin);
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

test('the stack outputs the console URL and its credentials secret', () => {
  const outputs = platform.template.toJSON().Outputs as Record<string, { Value: unknown }>;
  expect(render(outputs.ConsoleUrl!.Value)).toBe(`https://<${distributionId}.DomainName>`);
  // Where operators read the sign-in token (the ARN, never the value).
  expect(outputs.ConsoleSecret!.Value).toEqual({ Ref: logicalIdByPath(platform.template, 'AWS::SecretsManager::Secret', 'ConsoleApi/Credentials') });
});

describe("the console's API under /api/*", () => {
  // CloudFront's managed policies (their ids are fixed by AWS).
  const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
  const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
  const resource = (id: string) => platform.template.toJSON().Resources[id] as Resource;
  const apiId = () => logicalIdByPath(platform.template, 'AWS::ApiGateway::RestApi', 'ConsoleApi/Api');
  const handler = () => resource(logicalIdByPath(platform.template, 'AWS::Lambda::Function', 'ConsoleApi/Handler/Function'));
  const grants = () => grantsOf(platform.template, logicalIdByPath(platform.template, 'AWS::IAM::Role', 'ConsoleApi/Handler/Role'));

  test('goes to the API Gateway stage uncached, every method, with all the viewer sent but Host', () => {
    const behaviors = distribution.CacheBehaviors as Array<Record<string, unknown>>;
    expect(behaviors).toHaveLength(1);
    const api = behaviors[0]!;
    expect(api).toMatchObject({
      PathPattern: '/api/*',
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      ViewerProtocolPolicy: 'https-only',
      Compress: false,
    });
    expect([...(api.AllowedMethods as string[])].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    const origin = (distribution.Origins as Array<Record<string, unknown>>).find((candidate) => candidate.Id === api.TargetOriginId)!;
    expect(JSON.stringify(origin.DomainName)).toContain(apiId());
    expect(origin).toMatchObject({ CustomOriginConfig: { OriginProtocolPolicy: 'https-only' } });
    // The page's behaviour is still the cached, GET-only site.
    expect(distribution.DefaultCacheBehavior).toMatchObject({ AllowedMethods: ['GET', 'HEAD'] });
  });

  test('only this distribution gets through: it sends the origin secret, which the function requires (the API Gateway URL alone answers 403)', () => {
    const api = (distribution.CacheBehaviors as Array<{ TargetOriginId: string }>)[0]!;
    const origin = (distribution.Origins as Array<{ Id: string; OriginCustomHeaders?: Array<{ HeaderName: string; HeaderValue: unknown }> }>).find(
      (candidate) => candidate.Id === api.TargetOriginId,
    )!;
    const originSecretId = logicalIdByPath(platform.template, 'AWS::SecretsManager::Secret', 'OriginSecret/Secret');
    // The image API's secret, as a dynamic reference resolved at deploy: never in the template.
    expect(origin.OriginCustomHeaders).toEqual([{ HeaderName: ORIGIN_HEADER, HeaderValue: expect.anything() }]);
    expect(render(origin.OriginCustomHeaders![0]!.HeaderValue)).toBe(`{{resolve:secretsmanager:<${originSecretId}>:SecretString:current::}}`);
    const env = (handler().Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    expect(env.ORIGIN_SECRET).toEqual({ Ref: originSecretId });
  });

  test("a viewer-request function hands the API the browser's Host as X-Forwarded-Host, overwriting a forged one", () => {
    const api = (distribution.CacheBehaviors as Array<{ FunctionAssociations: Array<{ EventType: string; FunctionARN: unknown }> }>)[0]!;
    expect(api.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: expect.anything() }]);
    const functionId = render(api.FunctionAssociations[0]!.FunctionARN).replace(/^<|\.FunctionARN>$/g, '');
    const fn = resource(functionId).Properties as { FunctionCode: string; FunctionConfig: { Runtime: string } };
    expect(fn.FunctionCode).toBe(VIEWER_HOST_FUNCTION_CODE);
    expect(fn.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    // Run it as CloudFront would, on a request whose viewer tried to set the header itself.
    const run = new Function(`${VIEWER_HOST_FUNCTION_CODE}; return handler;`)() as (event: unknown) => { headers: Record<string, { value: string }> };
    const request = run({ request: { headers: { host: { value: 'd111111abcdef8.cloudfront.net' }, 'x-forwarded-host': { value: 'evil.example' } } } });
    expect(request.headers['x-forwarded-host']).toEqual({ value: 'd111111abcdef8.cloudfront.net' });
  });

  test('API Gateway serves /api/{proxy+} only, to the console-api function, logged and traced', () => {
    const paths = resources(platform.template, 'AWS::ApiGateway::Resource')
      .filter(([, r]) => render((r.Properties as { RestApiId: unknown }).RestApiId) === `<${apiId()}>`)
      .map(([, r]) => (r.Properties as { PathPart: string }).PathPart);
    expect(paths.sort()).toEqual(['api', '{proxy+}']);
    const methods = resources(platform.template, 'AWS::ApiGateway::Method').filter(([, r]) => render((r.Properties as { RestApiId: unknown }).RestApiId) === `<${apiId()}>`);
    expect(methods.map(([, r]) => (r.Properties as { HttpMethod: string }).HttpMethod)).toEqual(['ANY']);
    const [[, stage]] = resources(platform.template, 'AWS::ApiGateway::Stage').filter(([, r]) => render((r.Properties as { RestApiId: unknown }).RestApiId) === `<${apiId()}>`) as [[string, Resource]];
    expect(stage.Properties).toMatchObject({ StageName: 'console', TracingEnabled: true, AccessLogSetting: expect.anything() });
    expect(resource(apiId()).Properties).toMatchObject({ BinaryMediaTypes: ['*/*'] });
  });

  test('the function reads its credentials from a generated secret; none sit in its environment', () => {
    const env = (handler().Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    const secretId = logicalIdByPath(platform.template, 'AWS::SecretsManager::Secret', 'ConsoleApi/Credentials');
    expect(env).toMatchObject({ CONSOLE_SECRET: { Ref: secretId }, CONSOLE_FORWARDED_HOST: 'Yes', WORKFLOW_ENGINE: 'stepfunctions', QUERY_ENGINE: 'athena', SHUTTER_STORAGE: 's3' });
    for (const name of ['CONSOLE_TOKEN', 'CONSOLE_USER', 'CONSOLE_PASSWORD', 'CONSOLE_AUTH']) expect(env).not.toHaveProperty(name);
    expect(render(env.IMAGE_STATE_MACHINE_ARN)).toMatch(/^<WorkflowsProcess.*>$|^<PlatformWorkflowsProcess/);
    const secret = resource(secretId).Properties as { GenerateSecretString: Record<string, unknown>; KmsKeyId: unknown };
    expect(secret.GenerateSecretString).toMatchObject({ SecretStringTemplate: '{}', GenerateStringKey: 'token', PasswordLength: 40 });
    expect(render(secret.KmsKeyId)).toMatch(/^<PlatformStorageDataKey.*\.Arn>$/);
  });

  test('its role is scoped: no "*" but X-Ray, the credentials secret only, the state machines and their executions, its buckets, the workgroup', () => {
    const all = grants();
    expect(all.filter((grant) => grant.resource === '*').map((grant) => grant.action).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    const secretId = logicalIdByPath(platform.template, 'AWS::SecretsManager::Secret', 'ConsoleApi/Credentials');
    const originSecretId = logicalIdByPath(platform.template, 'AWS::SecretsManager::Secret', 'OriginSecret/Secret');
    expect(all.filter((grant) => grant.action.startsWith('secretsmanager:')).sort((a, b) => a.resource.localeCompare(b.resource))).toEqual(
      [`<${secretId}>`, `<${originSecretId}>`].sort().map((resource) => ({ action: 'secretsmanager:GetSecretValue', resource })),
    );

    const states = all.filter((grant) => grant.action.startsWith('states:'));
    const machines = ['Process', 'Backfill'].map((name) => logicalIdByPath(platform.template, 'AWS::StepFunctions::StateMachine', `Workflows/${name}`));
    for (const action of ['states:ListExecutions', 'states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure'])
      expect(states.filter((grant) => grant.action === action).map((grant) => grant.resource).sort()).toEqual(machines.map((id) => `<${id}>`).sort());
    for (const action of ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution', 'states:RedriveExecution']) {
      const resources = states.filter((grant) => grant.action === action).map((grant) => grant.resource);
      expect(resources).toHaveLength(2);
      for (const arn of resources) expect(arn).toMatch(/:states:<AWS::Region>:<AWS::AccountId>:execution:.+:\*$/);
    }
    expect(new Set(states.map((grant) => grant.action)).size).toBe(8);

    // Writes: uploads, and Athena's results prefix; nothing else, and never a delete.
    const bucket = (name: string) => logicalIdByPath(platform.template, 'AWS::S3::Bucket', `Storage/${name}`);
    expect(all.filter((grant) => grant.action === 's3:PutObject').map((grant) => grant.resource).sort()).toEqual(
      [`<${bucket('Uploads')}.Arn>/*`, `<${bucket('Logs')}.Arn>/athena-results/*`].sort(),
    );
    expect(all.some((grant) => grant.action.startsWith('s3:Delete'))).toBe(false);
    const reads = new Set(all.filter((grant) => grant.action === 's3:GetObject').map((grant) => grant.resource));
    for (const name of ['Images', 'Uploads', 'Renditions', 'Quarantine']) expect(reads).toContain(`<${bucket(name)}.Arn>/*`);
    expect(reads).not.toContain(`<${bucket('Logs')}.Arn>/*`);

    const [workGroup] = only(platform.template, 'AWS::Athena::WorkGroup');
    for (const grant of all.filter((g) => g.action.startsWith('athena:'))) expect(grant.resource).toMatch(new RegExp(`workgroup/<${workGroup}>$`));
    for (const grant of all.filter((g) => g.action.startsWith('glue:'))) expect(grant.resource).toMatch(/:glue:<AWS::Region>:<AWS::AccountId>:(catalog|database\/\w+|table\/\w+\/\w+)$/);
    // KMS only through S3 or Secrets Manager.
    for (const grant of all.filter((g) => g.action.startsWith('kms:'))) expect(JSON.stringify(grant.condition)).toMatch(/kms:ViaService/);
  });
});

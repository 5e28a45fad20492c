/**
 * `Engine=Fargate` (issue #15): the image handler as a container on ECS Fargate behind an
 * internal ALB, reached by CloudFront through a VPC origin with the same cache policy and
 * CloudFront Function, the Lambda path as fail-over. One synthesis with cdk-nag.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FARGATE_SIZES } from '../../infra/fargate-engine.js';
import { parseProductionContext } from '../../infra/production-config.js';
import { cfnLint } from './cfn-lint.js';
import { synthPlatform, type SynthesizedPlatform } from './synth-platform.js';
import { logicalIdByPath, only, resources, type Resource } from './template-queries.js';

let platform: SynthesizedPlatform;
let template: Template;

beforeAll(() => {
  platform = synthPlatform({ nag: true, context: { Engine: 'Fargate', FargateSize: 'L' } });
  template = platform.template;
});

test('cdk-nag reports no unacknowledged finding', () => {
  expect(platform.violations).toEqual([]);
});

test('a Fargate service on arm64 with the size L task, read-only root, non-root user, health check on /health', () => {
  const [, task] = only(template, 'AWS::ECS::TaskDefinition');
  expect(task.Properties).toMatchObject({
    Cpu: String(FARGATE_SIZES.L.cpu),
    Memory: String(FARGATE_SIZES.L.memoryMiB),
    RequiresCompatibilities: ['FARGATE'],
    RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
  });
  const [container] = task.Properties!.ContainerDefinitions as Array<Record<string, unknown>>;
  expect(container).toMatchObject({
    User: '1000:1000',
    ReadonlyRootFilesystem: true,
    PortMappings: [{ ContainerPort: 8080 }],
    HealthCheck: { Command: ['CMD', 'node', '-e', expect.stringContaining('/health')] },
    MountPoints: [{ ContainerPath: '/tmp', SourceVolume: 'tmp', ReadOnly: false }],
  });
  // The same SIH environment as the Lambda handler.
  const variables = Object.fromEntries((container!.Environment as Array<{ Name: string; Value: unknown }>).map((v) => [v.Name, v.Value]));
  const handler = template.toJSON().Resources[logicalIdByPath(template, 'AWS::Lambda::Function', 'Delivery/ImageHandler/Function')] as Resource;
  const lambdaVariables = (handler.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
  for (const name of ['SOURCE_BUCKETS', 'SHUTTER_STORAGE', 'AUTO_WEBP', 'ENABLE_SIGNATURE', 'ANALYSIS_UNSIGNED'])
    expect(variables[name]).toEqual(lambdaVariables[name]);

  template.hasResourceProperties('AWS::ECS::Service', {
    LaunchType: 'FARGATE',
    DesiredCount: FARGATE_SIZES.L.minTasks,
    DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true }, MinimumHealthyPercent: 100 }),
    NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
  });
  // The image comes from the repository's Dockerfile, built and pushed by the deployment (a DockerImageAsset).
  const manifest = JSON.parse(readFileSync(path.join(platform.outdir, `${platform.stack.artifactId}.assets.json`), 'utf8')) as {
    dockerImages: Record<string, { source: { directory: string; dockerFile?: string; platform?: string } }>;
  };
  const [image] = Object.values(manifest.dockerImages);
  expect(image!.source).toMatchObject({ dockerFile: 'Dockerfile', platform: 'linux/arm64' });
  // Staged by the .dockerignore: sources, not node_modules or local state.
  const staged = readdirSync(path.join(platform.outdir, image!.source.directory));
  expect(staged).toEqual(expect.arrayContaining(['Dockerfile', 'package-lock.json', 'core', 'api', 'bin']));
  expect(staged).not.toContain('node_modules');
});

test('auto scaling on CPU and on ALB requests per target, within the size range', () => {
  template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
    MinCapacity: FARGATE_SIZES.L.minTasks,
    MaxCapacity: FARGATE_SIZES.L.maxTasks,
    ScalableDimension: 'ecs:service:DesiredCount',
  });
  const metrics = resources(template, 'AWS::ApplicationAutoScaling::ScalingPolicy').map(
    ([, policy]) => (policy.Properties!.TargetTrackingScalingPolicyConfiguration as { PredefinedMetricSpecification: { PredefinedMetricType: string } }).PredefinedMetricSpecification.PredefinedMetricType,
  );
  expect(metrics.sort()).toEqual(['ALBRequestCountPerTarget', 'ECSServiceAverageCPUUtilization']);
});

test('an internal ALB, reached by CloudFront through a VPC origin, with the API as fail-over and the same cache policy and function', () => {
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/health', Port: 8080 });
  const [vpcOriginId] = only(template, 'AWS::CloudFront::VpcOrigin');
  const distribution = template.toJSON().Resources[logicalIdByPath(template, 'AWS::CloudFront::Distribution', 'Delivery/Distribution')] as Resource;
  const config = distribution.Properties!.DistributionConfig as {
    Origins: Array<{ Id: string; VpcOriginConfig?: { VpcOriginId: unknown } }>;
    OriginGroups: { Items: Array<{ Members: { Items: Array<{ OriginId: string }> }; FailoverCriteria: { StatusCodes: { Items: number[] } } }> };
    DefaultCacheBehavior: { CachePolicyId: unknown; FunctionAssociations: unknown[] };
  };
  const [primary, fallback] = config.OriginGroups.Items[0]!.Members.Items.map((member) => config.Origins.find((origin) => origin.Id === member.OriginId)!);
  expect(primary!.VpcOriginConfig!.VpcOriginId).toEqual({ 'Fn::GetAtt': [vpcOriginId, 'Id'] });
  expect(JSON.stringify(fallback)).toContain('execute-api');
  expect(config.OriginGroups.Items[0]!.FailoverCriteria.StatusCodes.Items.sort()).toEqual([500, 502, 503, 504]);
  expect(config.DefaultCacheBehavior.CachePolicyId).toEqual({ Ref: logicalIdByPath(template, 'AWS::CloudFront::CachePolicy', 'Delivery/CachePolicy') });
  expect(config.DefaultCacheBehavior.FunctionAssociations).toEqual([
    { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [logicalIdByPath(template, 'AWS::CloudFront::Function', 'Delivery/AcceptNormalizer'), 'FunctionARN'] } },
  ]);
});

test('the task role reads what the image handler reads', () => {
  const handlerRole = logicalIdByPath(template, 'AWS::IAM::Role', 'Delivery/ImageHandler/Role');
  const taskRole = logicalIdByPath(template, 'AWS::IAM::Role', 'Delivery/Fargate/Task/TaskRole');
  const s3Reads = (role: string) =>
    resources(template, 'AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties!.Roles).includes(role))
      .flatMap(([, policy]) => (policy.Properties!.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> }).Statement)
      .filter((statement) => JSON.stringify(statement.Action).includes('s3:GetObject'))
      .map((statement) => JSON.stringify(statement.Resource));
  expect(s3Reads(taskRole).sort()).toEqual(s3Reads(handlerRole).sort());
  expect(s3Reads(taskRole).length).toBeGreaterThan(0);
});

test('cfn-lint finds nothing in the template', async () => {
  expect(await cfnLint(path.join(platform.outdir, platform.stack.templateFile))).toEqual([]);
}, 300_000);

test('Engine and FargateSize are validated', () => {
  expect(parseProductionContext((key) => ({ Engine: 'fargate' })[key]).engine).toEqual({ kind: 'fargate', size: 'M' });
  expect(() => parseProductionContext((key) => ({ Engine: 'Kubernetes' })[key])).toThrow(/Engine: expected Lambda or Fargate/);
  expect(() => parseProductionContext((key) => ({ Engine: 'Fargate', FargateSize: 'XXL' })[key])).toThrow(/FargateSize/);
});

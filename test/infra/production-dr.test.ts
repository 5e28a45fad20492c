/**
 * `DisasterRecovery=Yes` (issue #15): the standby in the DR Region and, in the primary,
 * replication of images, renditions and quarantine with its metrics and alarms, the signing
 * secret replicated, a backup plan with a copy in the DR Region, CloudFront fail-over to the
 * standby's API, and names that differ per Region. One synthesis of both stacks, with cdk-nag.
 */
import { ORIGIN_HEADER } from '../../api/origin-guard.js';
import { originSecretName } from '../../infra/disaster-recovery.js';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { stubCode } from '../../infra/lambda-code.js';
import { parsePlatformContext } from '../../infra/platform-config.js';
import { parseProductionContext } from '../../infra/production-config.js';
import { createShutterStacks, type ShutterStacks } from '../../infra/shutter-app.js';
import { cfnLint } from './cfn-lint.js';
import { CDK_CONTEXT } from './synth-platform.js';
import { resources } from './template-queries.js';

const CONTEXT = { DisasterRecovery: 'Yes', DrRegion: 'us-west-2', EnableSignature: 'Yes', EnableStreaming: 'No' };
const ENV = { account: '123456789012', region: 'us-east-1' };

let stacks: ShutterStacks;
let primary: Template;
let standby: Template;
let violations: unknown[] = [];
let outdir: string;

function build(context: Record<string, string>, env: { account?: string; region?: string }) {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'shutter-dr-'));
  const app = new App({ outdir, context: { ...CDK_CONTEXT, ...context, 'aws:cdk:enable-path-metadata': true }, builtinCloudFormationValidation: false });
  const get = (key: string) => app.node.tryGetContext(key) as unknown;
  return { app, outdir, stacks: createShutterStacks(app, parsePlatformContext(get), parseProductionContext(get), env, stubCode()) };
}

beforeAll(() => {
  const built = build(CONTEXT, ENV);
  stacks = built.stacks;
  outdir = built.outdir;
  Validations.of(built.app).addPlugins(new AwsSolutionsChecks(built.app));
  try {
    built.app.synth();
  } catch (error) {
    const report = path.join(built.outdir, 'validation-report.json');
    if (!existsSync(report)) throw error;
    violations = (JSON.parse(readFileSync(report, 'utf8')) as { pluginReports: Array<{ violations: unknown[] }> }).pluginReports.flatMap((p) => p.violations);
  }
  const read = (file: string) => Template.fromJSON(JSON.parse(readFileSync(path.join(built.outdir, file), 'utf8')) as Record<string, unknown>);
  primary = read(stacks.primary!.templateFile);
  standby = read(stacks.standby!.templateFile);
}, 300_000);

test('cdk-nag reports no unacknowledged finding in either Region', () => {
  expect(violations).toEqual([]);
});

test('the standby is the platform in the DR Region, under its own name', () => {
  expect(stacks.standby!.region).toBe('us-west-2');
  expect(stacks.standby!.stackName).toBe('Shutter-dr');
  expect(resources(standby, 'AWS::Lambda::Function').length).toBeGreaterThan(3);
  // Replica destinations must be versioned, renditions included.
  expect(resources(standby, 'AWS::S3::Bucket').filter(([, bucket]) => (bucket.Properties!.VersioningConfiguration as { Status?: string } | undefined)?.Status === 'Enabled').length).toBeGreaterThanOrEqual(3);
  standby.hasResourceProperties('AWS::Backup::BackupVault', { BackupVaultName: 'Shutter-dr-dr-vault' });
});

test('images, renditions and quarantine replicate to the standby with Replication Time Control and metrics, deletions kept out', () => {
  const replicated = resources(primary, 'AWS::S3::Bucket').filter(([, bucket]) => bucket.Properties!.ReplicationConfiguration);
  expect(replicated.map(([, bucket]) => ((bucket.Properties!.ReplicationConfiguration as { Rules: Array<{ Id: string }> }).Rules[0]!.Id)).sort()).toEqual(['dr-images', 'dr-quarantine', 'dr-renditions']);
  for (const [, bucket] of replicated) {
    expect(bucket.Properties!.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect((bucket.Properties!.ReplicationConfiguration as { Rules: unknown[] }).Rules[0]).toMatchObject({
      Status: 'Enabled',
      DeleteMarkerReplication: { Status: 'Disabled' },
      Destination: {
        ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
        Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
        EncryptionConfiguration: { ReplicaKmsKeyID: expect.anything() },
      },
    });
  }
  // One alarm per replicated bucket: failed or late replication.
  const alarms = resources(primary, 'AWS::CloudWatch::Alarm').filter(([, alarm]) => /failed to replicate/.test(String(alarm.Properties!.AlarmDescription)));
  expect(alarms).toHaveLength(3);
});

test('the signing secret is replicated to the DR Region under a name the standby knows', () => {
  primary.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'Shutter-signing', ReplicaRegions: [Match.objectLike({ Region: 'us-west-2' })] });
  const handler = resources(standby, 'AWS::Lambda::Function').find(([, fn]) => String(fn.Metadata?.['aws:cdk:path']).includes('Delivery/ImageHandler'))!;
  expect((handler[1].Properties!.Environment as { Variables: Record<string, unknown> }).Variables.SECRETS_MANAGER).toBe('Shutter-signing');
});

test('a daily backup of images and quarantine, kept 35 days, copied to the DR Region', () => {
  primary.hasResourceProperties('AWS::Backup::BackupPlan', {
    BackupPlan: Match.objectLike({
      BackupPlanRule: [
        Match.objectLike({
          Lifecycle: { DeleteAfterDays: 35 },
        }),
      ],
    }),
  });
  const [, plan] = resources(primary, 'AWS::Backup::BackupPlan')[0]!;
  expect(JSON.stringify(plan.Properties)).toContain(':backup:us-west-2:123456789012:backup-vault:Shutter-dr-dr-vault');
  const [, selection] = resources(primary, 'AWS::Backup::BackupSelection')[0]!;
  expect(JSON.stringify(selection.Properties)).toMatch(/Images/);
  expect(JSON.stringify(selection.Properties)).toMatch(/Quarantine/);
});

test("CloudFront fails over from the primary's API to the standby's", () => {
  const [, distribution] = resources(primary, 'AWS::CloudFront::Distribution').find(([, d]) => String(d.Metadata?.['aws:cdk:path']).includes('Delivery/Distribution'))!;
  const config = distribution.Properties!.DistributionConfig as { OriginGroups: { Items: Array<{ FailoverCriteria: unknown; Members: { Items: unknown[] } }> }; Origins: Array<{ DomainName: unknown }> };
  expect(config.OriginGroups.Items[0]!.Members.Items).toHaveLength(2);
  expect(JSON.stringify(config.Origins)).toMatch(/execute-api\.us-west-2\.amazonaws\.com/);
});

test("on fail-over the standby's API gets the primary's origin header, and accepts it from a replica in its Region", () => {
  const [, distribution] = resources(primary, 'AWS::CloudFront::Distribution').find(([, d]) => String(d.Metadata?.['aws:cdk:path']).includes('Delivery/Distribution'))!;
  const origins = (distribution.Properties!.DistributionConfig as { Origins: Array<{ DomainName: unknown; OriginCustomHeaders?: Array<{ HeaderName: string; HeaderValue: unknown }> }> }).Origins;
  const standbyOrigin = origins.find((origin) => JSON.stringify(origin.DomainName).includes('execute-api.us-west-2'))!;
  const primaryOrigin = origins.find((origin) => origin !== standbyOrigin)!;
  expect(standbyOrigin.OriginCustomHeaders).toEqual(primaryOrigin.OriginCustomHeaders);
  expect(standbyOrigin.OriginCustomHeaders![0]!.HeaderName).toBe(ORIGIN_HEADER);
  primary.hasResourceProperties('AWS::SecretsManager::Secret', { Name: originSecretName('Shutter'), ReplicaRegions: [Match.objectLike({ Region: 'us-west-2' })] });
  const handler = resources(standby, 'AWS::Lambda::Function').find(([, fn]) => String(fn.Metadata?.['aws:cdk:path']).includes('Delivery/ImageHandler'))!;
  const accepted = JSON.stringify((handler[1].Properties!.Environment as { Variables: Record<string, unknown> }).Variables.ORIGIN_SECRET);
  expect(accepted).toContain(`,${originSecretName('Shutter')}`);
  const all = JSON.stringify(standby.toJSON().Resources);
  expect(all.includes(`secret:${originSecretName('Shutter')}-??????`)).toBe(true);
});

const GLOBAL_NAMES = ['BucketName', 'RoleName', 'FunctionName', 'StateMachineName', 'LogGroupName', 'DashboardName', 'BackupVaultName', 'TopicName', 'QueueName', 'Name', 'BackupPlanName', 'ClusterName'];

test('names are Region-unique: no fixed physical name is shared by the two stacks', () => {
  const names = (template: Template) =>
    Object.values(template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>)
      // An alias's name is scoped to its function, a REST API's is a label.
      .filter((resource) => !['AWS::Lambda::Alias', 'AWS::ApiGateway::RestApi'].includes(resource.Type))
      .flatMap((resource) =>
      Object.entries(resource.Properties ?? {})
        // The physical names that must be unique in an account (or globally): a clash fails the deployment.
        .filter(([key, value]) => GLOBAL_NAMES.includes(key) && typeof value === 'string')
        .map(([, value]) => value as string),
    );
  expect(names(primary).length + names(standby).length).toBeGreaterThan(2);
  expect(names(primary).filter((name) => names(standby).includes(name))).toEqual([]);
});

test('cfn-lint finds nothing in either template', async () => {
  for (const stack of [stacks.standby!, stacks.primary!]) expect(await cfnLint(path.join(outdir, stack.templateFile))).toEqual([]);
}, 300_000);

test('DisasterRecovery needs a DR Region, and a primary Region known at synthesis', () => {
  expect(() => parseProductionContext((key) => ({ DisasterRecovery: 'Yes' })[key])).toThrow(/DrRegion/);
  expect(() => build(CONTEXT, { account: '123456789012' })).toThrow(ConfigError);
});

/**
 * Every physical name the stack sets, checked against the two ways a fixed name fails a deploy:
 * a second Region (account-wide names: IAM, CloudFront, CloudWatch dashboards) and a
 * delete-and-recreate (names of resources the stack retains), plus each service's length limit
 * with a 60-character stack name (CloudFormation's longest is 128, but 60 is what we promise).
 */
import { synthPlatform, type SynthesizedPlatform } from './synth-platform.js';
import type { Resource } from './template-queries.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ACCOUNT = '123456789012';
const LONG_NAME = `Images-${'x'.repeat(53)}`;

/** Where each type keeps its name, its length limit, and whether the name is account-wide. */
const NAMED: Array<{ type: string; path: string[]; max: number; global?: boolean }> = [
  { type: 'AWS::IAM::Role', path: ['RoleName'], max: 64, global: true },
  { type: 'AWS::CloudFront::CachePolicy', path: ['CachePolicyConfig', 'Name'], max: 128, global: true },
  { type: 'AWS::CloudFront::ResponseHeadersPolicy', path: ['ResponseHeadersPolicyConfig', 'Name'], max: 128, global: true },
  { type: 'AWS::CloudFront::OriginAccessControl', path: ['OriginAccessControlConfig', 'Name'], max: 64, global: true },
  { type: 'AWS::CloudFront::Function', path: ['Name'], max: 64, global: true },
  { type: 'AWS::CloudWatch::Dashboard', path: ['DashboardName'], max: 255, global: true },
  { type: 'AWS::Logs::LogGroup', path: ['LogGroupName'], max: 512 },
  { type: 'AWS::KinesisFirehose::DeliveryStream', path: ['DeliveryStreamName'], max: 64 },
  { type: 'AWS::MSK::ServerlessCluster', path: ['ClusterName'], max: 64 },
  { type: 'AWS::Athena::WorkGroup', path: ['Name'], max: 128 },
  { type: 'AWS::Glue::Database', path: ['DatabaseInput', 'Name'], max: 255 },
  { type: 'AWS::QuickSight::DataSource', path: ['DataSourceId'], max: 128 },
  { type: 'AWS::QuickSight::DataSet', path: ['DataSetId'], max: 128 },
  { type: 'AWS::Lambda::Function', path: ['FunctionName'], max: 64 },
  { type: 'AWS::SQS::Queue', path: ['QueueName'], max: 80 },
  { type: 'AWS::SNS::Topic', path: ['TopicName'], max: 256 },
  { type: 'AWS::StepFunctions::StateMachine', path: ['StateMachineName'], max: 80 },
  { type: 'AWS::Events::Rule', path: ['Name'], max: 64 },
  { type: 'AWS::S3::Bucket', path: ['BucketName'], max: 63, global: true },
  { type: 'AWS::SecretsManager::Secret', path: ['Name'], max: 512 },
  { type: 'AWS::KMS::Alias', path: ['AliasName'], max: 256 },
];

/** Stands for the stack-instance suffix (12 hex digits of the stack id) in a rendered name. */
const INSTANCE = '<instance12>'.padEnd(12, '_').slice(0, 12);
/** The longest Region name (ap-southeast-5, ap-northeast-3 ...): a Region token costs this much. */
const LONGEST_REGION = 'ap-southeast-5';

/** A name with its tokens rendered: the Region as given, the stack id suffix as INSTANCE. */
function renderName(value: unknown, region: string): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, unknown>;
  if (object.Ref === 'AWS::Region') return region;
  if ('Fn::Select' in object && JSON.stringify(object).includes('AWS::StackId')) return INSTANCE;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => renderName(part, region)).join(separator);
  }
  throw new Error(`a name whose length cannot be known at synth time: ${JSON.stringify(value)}`);
}

interface Named {
  type: string;
  logicalId: string;
  path: string;
  name: string;
  max: number;
  global: boolean;
  retained: boolean;
}

function namesOf(platform: SynthesizedPlatform, region: string): Named[] {
  const found: Named[] = [];
  const all = platform.template.toJSON().Resources as Record<string, Resource & { DeletionPolicy?: string }>;
  for (const [logicalId, resource] of Object.entries(all)) {
    for (const named of NAMED.filter((entry) => entry.type === resource.Type)) {
      let value: unknown = resource.Properties;
      for (const key of named.path) value = (value as Record<string, unknown> | undefined)?.[key];
      if (value === undefined) continue;
      found.push({
        type: resource.Type,
        logicalId,
        path: String(resource.Metadata?.['aws:cdk:path'] ?? logicalId),
        name: renderName(value, region),
        max: named.max,
        global: !!named.global,
        retained: resource.DeletionPolicy === 'Retain',
      });
    }
  }
  return found;
}

// Every option that adds a named resource: the console, QuickSight, signatures, replication.
const consoleDir = path.join(os.tmpdir(), 'shutter-physical-names-console');
mkdirSync(consoleDir, { recursive: true });
writeFileSync(path.join(consoleDir, 'index.html'), '<!doctype html><title>console</title>');
const CONTEXT = {
  StackName: LONG_NAME,
  EnableConsole: 'Yes',
  ConsoleDir: consoleDir,
  EnableQuickSight: 'Yes',
  QuickSightPrincipalArn: `arn:aws:quicksight:us-east-1:${ACCOUNT}:group/default/analysts`,
  EnableSignature: 'Yes',
  ReplicationBucketArn: 'arn:aws:s3:::images-replica',
  ReplicationKmsKeyArn: `arn:aws:kms:us-west-2:${ACCOUNT}:key/66666666-7777-8888-9999-000000000000`,
};

const regions = ['eu-west-1', 'ap-southeast-2'] as const;
let names: Record<string, Named[]>;

beforeAll(() => {
  names = {};
  for (const region of regions)
    names[region] = namesOf(synthPlatform({ env: { account: ACCOUNT, region }, context: CONTEXT }), region);
  names.agnostic = namesOf(synthPlatform({ context: CONTEXT }), LONGEST_REGION);
});

test('the named resources are found (the checks below are not vacuous)', () => {
  const types = new Set(names['eu-west-1']!.map((named) => named.type));
  for (const type of [
    'AWS::CloudFront::ResponseHeadersPolicy',
    'AWS::CloudFront::OriginAccessControl',
    'AWS::Logs::LogGroup',
    'AWS::KinesisFirehose::DeliveryStream',
    'AWS::CloudWatch::Dashboard',
  ])
    expect(types).toContain(type);
});

test.each(['eu-west-1', 'ap-southeast-2', 'agnostic'])(
  'every name fits its service limit with a 60-character stack name (%s)',
  (key) => {
    const tooLong = names[key]!.filter((named) => named.name.length > named.max);
    expect(tooLong.map((named) => `${named.path}: ${named.name} (${named.name.length} > ${named.max})`)).toEqual([]);
  },
);

test('account-wide names differ between two Regions (or are unique to the stack instance)', () => {
  const [first, second] = regions.map((region) => names[region]!.filter((named) => named.global));
  const clashes = first!.filter(
    (named) => !named.name.includes(INSTANCE) && second!.some((other) => other.name === named.name),
  );
  expect(clashes.map((named) => `${named.path}: ${named.name}`)).toEqual([]);
});

test('a retained resource never has a fixed name: a re-created stack would find it taken', () => {
  const fixed = names['eu-west-1']!.filter((named) => named.retained && !named.name.includes(INSTANCE));
  expect(fixed.map((named) => `${named.path}: ${named.name}`)).toEqual([]);
});

test("S3 replication's role is not CDK's fixed CDKReplicationRole", () => {
  const roles = names['eu-west-1']!.filter((named) => named.type === 'AWS::IAM::Role');
  expect(roles.map((role) => role.name)).not.toContain('CDKReplicationRole');
});

test('no two resources of one type share a name', () => {
  const seen = new Set<string>();
  for (const named of names['eu-west-1']!) {
    const key = `${named.type} ${named.name}`;
    expect(seen.has(key)).toBe(false);
    seen.add(key);
  }
});

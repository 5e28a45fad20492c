/**
 * docs/cost-model.md keeps up with what is deployed: every resource type in the synthesized
 * templates (the defaults, and Engine=Fargate) that AWS bills for has a line in its table
 * "Billed resource types", and every type there is one CloudFormation knows here. Types that cost
 * nothing by themselves (IAM, policies, routes, aliases...) are listed below, each with why.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/images.js';
import { synthPlatform } from './synth-platform.js';

/** Resource types with no charge of their own; their use is billed through a listed type. */
const FREE: Record<string, string> = {
  'AWS::IAM::Role': 'IAM is free',
  'AWS::IAM::Policy': 'IAM is free',
  'AWS::Lambda::Permission': 'a resource policy',
  'AWS::Lambda::Version': 'versions are billed through invocations of the function',
  'AWS::Lambda::Alias': 'aliases are billed through invocations of the function',
  'AWS::Lambda::EventInvokeConfig': 'configuration',
  'AWS::S3::BucketPolicy': 'a resource policy',
  'AWS::SQS::QueuePolicy': 'a resource policy',
  'AWS::SNS::TopicPolicy': 'a resource policy',
  'AWS::SNS::Subscription': 'billed as SNS notifications (listed with the topic)',
  'AWS::KMS::Alias': 'aliases are free',
  'AWS::ApiGateway::Account': 'account settings',
  'AWS::ApiGateway::Deployment': 'billed per request (listed with the REST API)',
  'AWS::ApiGateway::Stage': 'billed per request (listed with the REST API)',
  'AWS::ApiGateway::Resource': 'billed per request (listed with the REST API)',
  'AWS::ApiGateway::Method': 'billed per request (listed with the REST API)',
  'AWS::CloudFront::CachePolicy': 'policies are free',
  'AWS::CloudFront::ResponseHeadersPolicy': 'policies are free',
  'AWS::CloudFront::OriginAccessControl': 'free',
  'AWS::CloudFront::VpcOrigin': 'VPC origins have no additional charge',
  'AWS::Events::Rule': 'S3 events on the default bus are free',
  'AWS::CodeDeploy::Application': 'CodeDeploy to Lambda is free',
  'AWS::CodeDeploy::DeploymentGroup': 'CodeDeploy to Lambda is free',
  'AWS::Glue::Database': 'the first million Data Catalog objects are free',
  'AWS::Glue::Table': 'the first million Data Catalog objects are free',
  'AWS::Logs::ResourcePolicy': 'a resource policy',
  'AWS::Logs::LogStream': "billed as its log group's ingestion",
  'AWS::EC2::VPC': 'free',
  'AWS::EC2::Subnet': 'free',
  'AWS::EC2::RouteTable': 'free',
  'AWS::EC2::Route': 'free',
  'AWS::EC2::SubnetRouteTableAssociation': 'free',
  'AWS::EC2::InternetGateway': 'free (data transfer is billed with the NAT gateway)',
  'AWS::EC2::VPCGatewayAttachment': 'free',
  'AWS::EC2::SecurityGroup': 'free',
  'AWS::EC2::SecurityGroupIngress': 'free',
  'AWS::EC2::SecurityGroupEgress': 'free',
  'AWS::ECS::Cluster': 'Fargate bills the tasks (listed with the service)',
  'AWS::ECS::TaskDefinition': 'Fargate bills the tasks (listed with the service)',
  'AWS::ElasticLoadBalancingV2::Listener': 'billed with the load balancer',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'billed with the load balancer',
  'AWS::ApplicationAutoScaling::ScalableTarget': 'free',
  'AWS::ApplicationAutoScaling::ScalingPolicy': 'free (its alarms are listed)',
  'AWS::CDK::Metadata': 'CDK bookkeeping',
};

const billedTypesInDoc = (): string[] => {
  const doc = readFileSync(path.join(ROOT, 'docs/cost-model.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Billed resource types'));
  const table = section.slice(
    0,
    section.indexOf('\n## ', 5) === -1 ? undefined : section.indexOf('\n## ', 5),
  );
  return [...table.matchAll(/^\| `(AWS::[\w:]+)`/gm)].map((match) => match[1]!);
};

interface Resource {
  Type: string;
  Properties?: { ProvisionedPollerConfig?: { MinimumPollers: number } };
}

let deployedTypes: Set<string>;
/** Every provisioned event poller the default stack keeps running (billed around the clock). */
let minimumPollers = 0;
beforeAll(() => {
  deployedTypes = new Set<string>();
  for (const context of [{}, { Engine: 'Fargate', EnableSignature: 'Yes' }]) {
    const { template } = synthPlatform({ context });
    const resources = Object.values(template.toJSON().Resources as Record<string, Resource>);
    for (const resource of resources) {
      if (!resource.Type.startsWith('Custom::')) deployedTypes.add(resource.Type);
    }
    if (Object.keys(context).length === 0) {
      minimumPollers = resources.reduce(
        (sum, resource) => sum + (resource.Properties?.ProvisionedPollerConfig?.MinimumPollers ?? 0),
        0,
      );
    }
  }
}, 300_000);

test('the fixed monthly floor prices the provisioned event pollers the stack keeps running', () => {
  expect(minimumPollers).toBeGreaterThan(0);
  const doc = readFileSync(path.join(ROOT, 'docs/cost-model.md'), 'utf8');
  const floor = doc.slice(doc.indexOf('## Fixed monthly floor'), doc.indexOf('## Adapting it'));
  expect(floor).toContain(`730 × ${minimumPollers} × $0.185`);
});

test('every billed resource type deployed has a line in docs/cost-model.md', () => {
  const documented = billedTypesInDoc();
  expect(documented.length).toBeGreaterThan(10);
  const missing = [...deployedTypes].filter((type) => !FREE[type] && !documented.includes(type)).sort();
  expect(missing).toEqual([]);
});

test('the table lists no type twice, and none also called free', () => {
  const documented = billedTypesInDoc();
  expect(new Set(documented).size).toBe(documented.length);
  expect(documented.filter((type) => FREE[type])).toEqual([]);
});

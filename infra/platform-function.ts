/**
 * Every Lambda of the platform, built one way: Node 22 on arm64 (sharp ships arm64 binaries and
 * Graviton costs 20% less per GB-second), X-Ray active tracing, its own log group with the
 * configured retention, and its own role that starts with nothing but writing to that log group.
 * Access to buckets, keys, secrets and topics is added grant by grant (see `bucket-access.ts`).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge.js';
import { BUNDLE_HANDLER, type LambdaCodeSource } from './lambda-code.js';

export interface PlatformFunctionProps {
  /** The bundle's name under `dist/lambda/` (e.g. `image-handler`). */
  bundle: string;
  code: LambdaCodeSource;
  description: string;
  /** @default 512 */
  memorySize?: number;
  /** @default 30 seconds */
  timeout?: Duration;
  environment?: Record<string, string>;
  logRetention: logs.RetentionDays;
  /** Runs the function in these subnets (to reach MSK). @default outside any VPC */
  vpc?: { vpc: ec2.IVpc; subnets: ec2.SubnetSelection; securityGroups: ec2.ISecurityGroup[] };
  /** @default no reserved concurrency */
  reservedConcurrentExecutions?: number;
}

/**
 * The alias every caller invokes: a published version, which CodeDeploy moves to the next one
 * gradually (`safe-rollout.ts`), never `$LATEST`.
 */
export const LIVE_ALIAS = 'live';

/** A Lambda function with its own least-privilege role and log group. */
export class PlatformFunction extends Construct {
  readonly function: lambda.Function;
  /** What callers invoke (see {@link LIVE_ALIAS}). */
  readonly alias: lambda.Alias;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // Logs are evidence; a stack deletion must not take them.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.bundle}: least privilege, one grant at a time`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    if (props.vpc) {
      // Lambda creates and removes the function's network interfaces with the function's own
      // role; EC2 does not scope these actions to resources (AWS's managed policy uses "*" too).
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
    }

    this.function = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: BUNDLE_HANDLER,
      code: props.code.code(this, props.bundle),
      description: props.description,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      // No NODE_OPTIONS=--enable-source-maps: Node would parse every loaded chunk's map during the
      // cold start. Traces are mapped when formatted instead (core/observability/mapped-stacks.ts).
      ...(props.environment ? { environment: props.environment } : {}),
      ...(props.vpc
        ? { vpc: props.vpc.vpc, vpcSubnets: props.vpc.subnets, securityGroups: props.vpc.securityGroups }
        : {}),
      ...(props.reservedConcurrentExecutions
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
    });

    this.alias = new lambda.Alias(this, 'Live', {
      aliasName: LIVE_ALIAS,
      version: this.function.currentVersion,
    });

    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      [
        'X-Ray PutTraceSegments/PutTelemetryRecords accept no resource other than "*"',
        ...(props.vpc
          ? ['and Lambda manages the VPC network interfaces with EC2 actions that are not resource-scoped']
          : []),
      ].join(' '),
    );
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      'Node 22 on purpose: the bundles are built and tested for Node 22 (package.json pins node 22), and it is supported by Lambda until 2027.',
    );
  }
}

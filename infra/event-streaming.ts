/**
 * Streaming: an MSK Serverless cluster (IAM authentication only, port 9098) in private
 * subnets with no route to the internet, and the archive consumer that copies every event to
 * the lake (`events/dt=YYYY-MM-DD/` in the log bucket) for Athena.
 *
 * Producers (the workflow's publishing tasks) run in the VPC with `KAFKA_BROKERS` and
 * `KAFKA_TOPIC` in their environment; the archive reads through a Lambda event source mapping,
 * whose pollers reach Lambda and STS through interface endpoints (no NAT gateway to pay for).
 */
import { Aws, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge.js';
import { grantObjectWrite } from './bucket-access.js';
import type { LambdaCodeSource } from './lambda-code.js';
import { PlatformFunction } from './platform-function.js';

/** MSK's port for clients that authenticate with IAM. */
const IAM_AUTH_PORT = 9098;

export interface EventStreamingProps {
  code: LambdaCodeSource;
  /** The lake: the archive writes `<prefix>dt=YYYY-MM-DD/…`. */
  lake: { bucket: s3.IBucket; prefix: string };
  /** VPC flow logs (rejected connections) go here, under `prefix`. */
  flowLogs: { bucket: s3.IBucket; prefix: string };
  logRetention: logs.RetentionDays;
  /** @default `shutter-image-events` */
  topic?: string;
}

export class EventStreaming extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: msk.CfnServerlessCluster;
  readonly topic: string;
  /** `host:9098,host:9098` — what producers put in KAFKA_BROKERS. */
  readonly bootstrapBrokers: string;
  /** Producers get this group so the cluster admits them. */
  readonly clientSecurityGroup: ec2.SecurityGroup;
  readonly archiver: PlatformFunction;
  readonly archiveDeadLetters: sqs.Queue;
  private readonly clusterName: string;

  constructor(scope: Construct, id: string, props: EventStreamingProps) {
    super(scope, id);
    this.topic = props.topic ?? 'shutter-image-events';
    this.clusterName = `${Stack.of(this).stackName}-events`.slice(0, 64);

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      // MSK Serverless needs subnets in at least two Availability Zones.
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      flowLogs: {
        toLake: {
          destination: ec2.FlowLogDestination.toS3(props.flowLogs.bucket, props.flowLogs.prefix),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    const subnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

    this.clientSecurityGroup = new ec2.SecurityGroup(this, 'ClientSecurityGroup', {
      vpc: this.vpc,
      description: 'shutter: Kafka clients (publishing tasks)',
      allowAllOutbound: true,
    });
    const clusterSecurityGroup = new ec2.SecurityGroup(this, 'ClusterSecurityGroup', {
      vpc: this.vpc,
      description: 'shutter: MSK Serverless, IAM-authenticated clients only',
      allowAllOutbound: true,
    });
    clusterSecurityGroup.addIngressRule(
      this.clientSecurityGroup,
      ec2.Port.tcp(IAM_AUTH_PORT),
      'Kafka clients, IAM auth',
    );
    // The event source mapping's pollers use the cluster's own security group (Lambda's MSK guide).
    clusterSecurityGroup.addIngressRule(
      clusterSecurityGroup,
      ec2.Port.tcp(IAM_AUTH_PORT),
      'Lambda event source pollers',
    );

    // The pollers authenticate through STS and invoke the archive through Lambda: private
    // endpoints that admit only the cluster's security group.
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'shutter: STS and Lambda endpoints, for the MSK event source pollers',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(clusterSecurityGroup, ec2.Port.tcp(443), 'Event source pollers');
    for (const [name, service] of [
      ['Sts', ec2.InterfaceVpcEndpointAwsService.STS],
      ['Lambda', ec2.InterfaceVpcEndpointAwsService.LAMBDA],
    ] as const) {
      this.vpc.addInterfaceEndpoint(`${name}Endpoint`, {
        service,
        subnets,
        privateDnsEnabled: true,
        open: false,
        securityGroups: [endpointSecurityGroup],
      });
    }

    this.cluster = new msk.CfnServerlessCluster(this, 'Cluster', {
      clusterName: this.clusterName,
      clientAuthentication: { sasl: { iam: { enabled: true } } },
      vpcConfigs: [
        {
          subnetIds: this.vpc.selectSubnets(subnets).subnetIds,
          securityGroups: [clusterSecurityGroup.securityGroupId],
        },
      ],
    });

    // CloudFormation does not return a serverless cluster's brokers; ask MSK once per deploy.
    const brokers = new cr.AwsCustomResource(this, 'BootstrapBrokers', {
      onUpdate: {
        service: 'Kafka',
        action: 'GetBootstrapBrokers',
        parameters: { ClusterArn: this.cluster.attrArn },
        physicalResourceId: cr.PhysicalResourceId.of(this.cluster.attrArn),
        outputPaths: ['BootstrapBrokerStringSaslIam'],
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [this.cluster.attrArn] }),
      installLatestAwsSdk: false,
      logGroup: new logs.LogGroup(this, 'BootstrapBrokersLogs', { retention: props.logRetention }),
    });
    this.bootstrapBrokers = brokers.getResponseField('BootstrapBrokerStringSaslIam');
    const provider = Stack.of(this).node.tryFindChild(
      // The provider is a stack-wide singleton whose id is `AWS` + its UUID without dashes.
      `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    if (provider) {
      acknowledge(
        provider,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "CDK's own custom-resource provider (one GetBootstrapBrokers call per deploy); its role only writes its logs through this AWS managed policy.",
      );
    }

    this.archiveDeadLetters = new sqs.Queue(this, 'ArchiveDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.archiveDeadLetters,
      'AwsSolutions-SQS3',
      'This queue is itself a dead-letter queue (of the event archive), watched by an alarm.',
    );

    this.archiver = new PlatformFunction(this, 'Archiver', {
      bundle: 'events-archiver',
      code: props.code,
      description: 'shutter: copy Kafka events to the lake, partitioned by date',
      memorySize: 512,
      timeout: Duration.minutes(2),
      logRetention: props.logRetention,
      // analytics/lake-writer.ts: the config asks for a source bucket; the archive reads none.
      environment: {
        LAKE_BUCKET: props.lake.bucket.bucketName,
        LAKE_PREFIX: props.lake.prefix,
        SOURCE_BUCKETS: props.lake.bucket.bucketName,
        KAFKA_TOPIC: this.topic,
      },
    });
    grantObjectWrite(this.archiver.role, props.lake);
    this.grantConsume(this.archiver.role, 'shutter-events-archiver');
    this.archiveDeadLetters.grantSendMessages(this.archiver.role);
    // A plain mapping, not ManagedKafkaEventSource, which attaches the broad AWS managed
    // AWSLambdaMSKExecutionRole policy; grantConsume gives exactly what the pollers use.
    new lambda.EventSourceMapping(this, 'ArchiveSource', {
      target: this.archiver.function,
      eventSourceArn: this.cluster.attrArn,
      kafkaTopic: this.topic,
      kafkaConsumerGroupId: 'shutter-events-archiver',
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      // Up to a minute or 10,000 events per object: few, large objects keep Athena cheap.
      batchSize: 10_000,
      maxBatchingWindow: Duration.minutes(1),
      onFailure: new sources.SqsDlq(this.archiveDeadLetters),
    }).node.addDependency(this.archiver.role);
  }

  /** ARN of a topic or group of this cluster, as MSK's IAM access control names them. */
  private kafkaArn(kind: 'topic' | 'group', name: string): string {
    const uuid = Fn.select(2, Fn.split('/', this.cluster.attrArn));
    return `arn:${Aws.PARTITION}:kafka:${Aws.REGION}:${Aws.ACCOUNT_ID}:${kind}/${this.clusterName}/${uuid}/${name}`;
  }

  /** Connect and write (idempotently) to the platform's topic, creating it on first use. */
  grantProduce(principal: iam.IRole): void {
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
        resources: [this.cluster.attrArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData', 'kafka-cluster:CreateTopic'],
        resources: [this.kafkaArn('topic', this.topic)],
      }),
    );
  }

  /** What a Lambda event source mapping needs to read the topic as `group`. */
  private grantConsume(principal: iam.IRole, group: string): void {
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'kafka-cluster:Connect',
          'kafka-cluster:DescribeClusterDynamicConfiguration',
          'kafka:DescribeClusterV2',
          'kafka:GetBootstrapBrokers',
        ],
        resources: [this.cluster.attrArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: [this.kafkaArn('topic', this.topic)],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: [this.kafkaArn('group', group)],
      }),
    );
    // The pollers' network interfaces in the cluster's subnets; EC2 scopes none of these.
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeVpcs',
          'ec2:DeleteNetworkInterface',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
        ],
        resources: ['*'],
      }),
    );
    acknowledge(
      principal,
      'AwsSolutions-IAM5[Resource::*]',
      'The MSK event source pollers manage their network interfaces with EC2 actions that take no resource ARN, and X-Ray accepts only "*".',
    );
  }
}

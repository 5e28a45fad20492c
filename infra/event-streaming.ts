/**
 * Streaming: an MSK Serverless cluster (IAM authentication only, port 9098) in private
 * subnets with no route to the internet, and the archive consumer that copies every event to
 * the lake (`events/dt=YYYY-MM-DD/` in the log bucket) for Athena.
 *
 * Producers (the workflow's publishing tasks) run in the VPC with `KAFKA_BROKERS` and
 * `KAFKA_TOPIC` in their environment; the archive reads through a Lambda event source mapping,
 * whose pollers reach Lambda and STS through interface endpoints (no NAT gateway to pay for).
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Aws, CustomResource, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeSdkCallProvider } from './acknowledge.js';
import { grantObjectWrite } from './bucket-access.js';
import type { LambdaCodeSource } from './lambda-code.js';
import { PlatformFunction } from './platform-function.js';
import { SecureBucket } from './secure-bucket.js';

/** MSK's port for clients that authenticate with IAM. */
const IAM_AUTH_PORT = 9098;
/** The archive's consumer group. */
const ARCHIVER_GROUP = 'shutter-events-archiver';
/** Retries of a failing batch (each bisected) before it goes to the failures bucket. */
const ARCHIVE_RETRIES = 3;

export interface EventStreamingProps {
  code: LambdaCodeSource;
  /** The lake: the archive writes `<prefix>dt=YYYY-MM-DD/…`. */
  lake: { bucket: s3.IBucket; prefix: string };
  /** VPC flow logs (rejected connections) go here, under `prefix`. */
  flowLogs: { bucket: s3.IBucket; prefix: string };
  logRetention: logs.RetentionDays;
  /** @default `shutter-image-events` */
  topic?: string;
  /** Of the failures bucket. @default RETAIN */
  removalPolicy?: RemovalPolicy;
  /** The topic's partitions: how many archive pollers (and producers' keys) can work at once. @default 6 */
  partitions?: number;
  /** Delete the topic and its events with the stack. @default false: the data outlives the stack */
  deleteTopicOnStackDelete?: boolean;
}

export class EventStreaming extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: msk.CfnServerlessCluster;
  readonly topic: string;
  /** `host:9098,host:9098` — what producers put in KAFKA_BROKERS. */
  readonly bootstrapBrokers: string;
  /** Producers get this group so the cluster admits them. */
  readonly clientSecurityGroup: ec2.SecurityGroup;
  /** Creates the topic (MSK Serverless creates none on first use). */
  readonly topicResource: CustomResource;
  readonly archiver: PlatformFunction;
  readonly archiveSource: lambda.EventSourceMapping;
  /** Batches the archive gave up on, as Lambda's on-failure destination writes them. */
  readonly archiveFailures: s3.Bucket;
  private readonly clusterName: string;

  constructor(scope: Construct, id: string, props: EventStreamingProps) {
    super(scope, id);
    this.topic = props.topic ?? 'shutter-image-events';
    // MSK allows 64 characters; the cluster is regional and deleted with the stack.
    this.clusterName = `${Stack.of(this).stackName.slice(0, 57)}-events`;

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
    acknowledgeSdkCallProvider(this);

    this.topicResource = this.createTopic(props, this.bootstrapBrokers, subnets);

    // Batches the archive still cannot write after its retries, in full (S3 destinations get the
    // records, not just their offsets), for an operator to replay. S3 because the pollers deliver
    // from inside the VPC, where the S3 gateway endpoint reaches it for free; SQS or SNS would
    // need an interface endpoint each (Lambda's MSK on-failure guide).
    this.archiveFailures = new SecureBucket(this, 'ArchiveFailures', {
      encryptionKey: props.lake.bucket.encryptionKey!,
      accessLogs: props.lake.bucket,
      lifecycleRules: [{ id: 'expire-failed-batches', expiration: Duration.days(90) }],
      removalPolicy: props.removalPolicy,
    });

    this.archiver = new PlatformFunction(this, 'Archiver', {
      bundle: 'events-archiver',
      code: props.code,
      description: 'shutter: copy Kafka events to the lake, partitioned by date',
      memorySize: 512,
      timeout: Duration.minutes(2),
      logRetention: props.logRetention,
      // What analytics/lake-writer.ts reads (core/config.ts): the lake's bucket; it writes under
      // EVENTS_TABLE.prefix (`events/dt=YYYY-MM-DD/`), where the Glue table projects its partitions.
      environment: {
        SHUTTER_STORAGE: 's3',
        LAKE_BUCKET: props.lake.bucket.bucketName,
        SOURCE_BUCKETS: props.lake.bucket.bucketName,
        KAFKA_TOPIC: this.topic,
      },
    });
    grantObjectWrite(this.archiver.role, props.lake);
    this.grantConsume(this.archiver.role, ARCHIVER_GROUP);
    // The pollers write failed batches with the function's role: PutObject and ListBucket (Lambda's guide).
    grantObjectWrite(this.archiver.role, { bucket: this.archiveFailures });
    this.archiver.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.archiveFailures.bucketArn] }),
    );
    // A plain mapping, not ManagedKafkaEventSource, which attaches the broad AWS managed
    // AWSLambdaMSKExecutionRole policy; grantConsume gives exactly what the pollers use.
    this.archiveSource = new lambda.EventSourceMapping(this, 'ArchiveSource', {
      target: this.archiver.function,
      eventSourceArn: this.cluster.attrArn,
      kafkaTopic: this.topic,
      kafkaConsumerGroupId: ARCHIVER_GROUP,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      // Up to a minute or 10,000 events per object: few, large objects keep Athena cheap.
      batchSize: 10_000,
      maxBatchingWindow: Duration.minutes(1),
      // Bounded failure handling (Kafka offers it in provisioned mode only): a bad batch is split
      // to isolate the bad record, retried a few times, and never held for more than a day; then
      // it goes to the failures bucket and the partition moves on instead of stalling forever.
      retryAttempts: ARCHIVE_RETRIES,
      bisectBatchOnError: true,
      maxRecordAge: Duration.days(1),
      provisionedPollerConfig: { minimumPollers: 1, maximumPollers: 2 },
      supportS3OnFailureDestination: true,
      // Not S3OnFailureDestination, which grants read, write and delete on the whole bucket.
      onFailure: { bind: () => ({ destination: this.archiveFailures.bucketArn }) },
    });
    this.archiveSource.node.addDependency(this.archiver.role);
    this.archiveSource.node.addDependency(this.topicResource);
  }

  /**
   * The topic, made by `infra/handlers/kafka-topic.ts` over the Kafka admin API (MSK's own API
   * manages clusters, not topics), from inside the VPC with IAM auth like any other client.
   */
  private createTopic(props: EventStreamingProps, brokers: string, subnets: ec2.SubnetSelection): CustomResource {
    const admin = new PlatformFunction(this, 'TopicAdmin', {
      bundle: 'kafka-topic',
      code: props.code,
      description: 'shutter: creates the Kafka topic (CloudFormation custom resource)',
      memorySize: 256,
      timeout: Duration.minutes(2),
      logRetention: props.logRetention,
      vpc: { vpc: this.vpc, subnets, securityGroups: [this.clientSecurityGroup] },
    });
    const deleteOnStackDelete = props.deleteTopicOnStackDelete ?? false;
    admin.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kafka-cluster:Connect'], resources: [this.cluster.attrArn] }),
    );
    admin.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'kafka-cluster:CreateTopic',
          'kafka-cluster:DescribeTopic',
          'kafka-cluster:AlterTopic',
          ...(deleteOnStackDelete ? ['kafka-cluster:DeleteTopic'] : []),
        ],
        resources: [this.kafkaArn('topic', this.topic)],
      }),
    );
    return new CustomResource(this, 'Topic', {
      serviceToken: admin.function.functionArn,
      resourceType: 'Custom::KafkaTopic',
      properties: {
        Brokers: brokers,
        Topic: this.topic,
        Partitions: String(props.partitions ?? 6),
        Sasl: 'iam',
        Tls: 'true',
        DeleteOnStackDelete: String(deleteOnStackDelete),
      },
    });
  }

  /** ARN of a topic or group of this cluster, as MSK's IAM access control names them. */
  private kafkaArn(kind: 'topic' | 'group', name: string): string {
    const uuid = Fn.select(2, Fn.split('/', this.cluster.attrArn));
    return `arn:${Aws.PARTITION}:kafka:${Aws.REGION}:${Aws.ACCOUNT_ID}:${kind}/${this.clusterName}/${uuid}/${name}`;
  }

  /** Connect and write (idempotently) to the platform's topic (the stack creates it: `createTopic`). */
  grantProduce(principal: iam.IRole): void {
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
        resources: [this.cluster.attrArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
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

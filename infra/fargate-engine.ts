/**
 * The container engine (`Engine=Fargate`): the image handler as `shutter serve` in the
 * repository's Dockerfile, on ECS Fargate (arm64) behind an internal Application Load Balancer
 * that only CloudFront reaches, through a CloudFront VPC origin. For sustained traffic, where
 * Lambda's per-request price and its 6 MB response limit hurt (docs/production.md has the
 * break-even). The bulk workflow stays on Step Functions and Lambda.
 *
 * - Sizes S/M/L/XL (the t-shirt sizes of AWS's Dynamic Image Transformation v8) set the task's
 *   vCPU and memory, the task count range and the request rate each task is scaled for.
 * - Auto scaling on CPU and on requests per target; a deployment that does not get healthy
 *   is rolled back by ECS's circuit breaker.
 * - The task's root filesystem is read-only (only /tmp is writable), it runs as uid 1000, and
 *   its role holds the image handler's grants (`ImageDelivery.grantImageAccess`).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import path from 'node:path';
import { acknowledge } from './acknowledge.js';
import { LOG_PREFIXES } from './image-storage.js';
import type { FargateSize } from './production-config.js';

export interface FargateSizeSpec {
  /** CPU units (1024 = 1 vCPU). */
  cpu: number;
  memoryMiB: number;
  minTasks: number;
  maxTasks: number;
  /** ALB requests per task per minute the scaling aims at. */
  requestsPerTaskPerMinute: number;
}

/**
 * 2 GiB per vCPU: a render holds a few decoded sources (limits.ts bounds each at 100 MP) per
 * core. About 10 renders per vCPU per second at the cost model's 300 ms per render at
 * 1769 MB gives the request targets (600 per vCPU per minute), with headroom. Two tasks
 * from M up, so one AZ or one task can fail without an outage.
 */
export const FARGATE_SIZES: Readonly<Record<FargateSize, FargateSizeSpec>> = {
  S: { cpu: 1024, memoryMiB: 2048, minTasks: 1, maxTasks: 4, requestsPerTaskPerMinute: 600 },
  M: { cpu: 2048, memoryMiB: 4096, minTasks: 2, maxTasks: 8, requestsPerTaskPerMinute: 1200 },
  L: { cpu: 4096, memoryMiB: 8192, minTasks: 2, maxTasks: 16, requestsPerTaskPerMinute: 2400 },
  XL: { cpu: 8192, memoryMiB: 16384, minTasks: 4, maxTasks: 32, requestsPerTaskPerMinute: 4800 },
};

/** The engine's own VPC: a literal CIDR, so the ALB's rule (this VPC only) reads as what it is. */
const VPC_CIDR = '10.64.0.0/16';

/** The port `shutter serve` listens on in the container (the Dockerfile's PORT). */
export const CONTAINER_PORT = 8080;

export interface FargateEngineProps {
  size: FargateSize;
  /** The image handler's environment (SIH's variables), so both engines behave alike. */
  environment: Record<string, string>;
  /** Receives the VPC's flow logs. */
  logs: s3.IBucket;
  logRetention: logs.RetentionDays;
  /** The folder holding the Dockerfile. @default the working directory: the CDK CLI runs the app where cdk.json is, the repository root */
  directory?: string;
}

export class FargateEngine extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;

  constructor(scope: Construct, id: string, props: FargateEngineProps) {
    super(scope, id);
    const size = FARGATE_SIZES[props.size];

    // One NAT gateway: the tasks reach Secrets Manager, Rekognition and ECR through it (S3
    // through the free gateway endpoint); a second would double a fixed cost for AZ-level
    // egress redundancy the CDN's error caching already softens.
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'engine', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      flowLogs: {
        rejected: {
          destination: ec2.FlowLogDestination.toS3(props.logs, LOG_PREFIXES.vpcFlowLogs),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: size.cpu,
      memoryLimitMiB: size.memoryMiB,
      // Graviton: sharp ships arm64 binaries and Fargate arm64 costs 20% less.
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      volumes: [{ name: 'tmp' }],
    });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN });
    const container = this.taskDefinition.addContainer('shutter', {
      image: ecs.ContainerImage.fromAsset(path.resolve(props.directory ?? '.'), {
        file: 'Dockerfile',
        platform: ecrAssets.Platform.LINUX_ARM64,
      }),
      environment: {
        ...props.environment,
        PORT: String(CONTAINER_PORT),
        HOST: '0.0.0.0',
        SHUTTER_DATA_DIR: '/tmp/shutter',
        AWS_REGION: Stack.of(this).region,
        // Only the image API: the workflow runs on Step Functions, the console on its own stack.
        WORKFLOW_ENGINE: 'stepfunctions',
        LOG_LEVEL: 'info',
      },
      user: '1000:1000',
      readonlyRootFilesystem: true,
      portMappings: [{ containerPort: CONTAINER_PORT, protocol: ecs.Protocol.TCP }],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'shutter', logGroup }),
      healthCheck: {
        command: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${CONTAINER_PORT}/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(3),
        startPeriod: Duration.seconds(20),
        retries: 3,
      },
    });
    container.addMountPoints({ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false });

    const albSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: 'shutter engine ALB: HTTP from CloudFront VPC origin ENIs inside the VPC only',
      allowAllOutbound: false,
    });
    // CloudFront's VPC origin reaches the internal ALB through network interfaces in this VPC.
    albSecurityGroup.addIngressRule(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.tcp(80), 'CloudFront VPC origin');
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
      // Renders are bounded by the handler's own deadline (below this).
      idleTimeout: Duration.seconds(35),
    });

    const serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc: this.vpc,
      description: 'shutter engine tasks: from the ALB only',
    });
    serviceSecurityGroup.addIngressRule(albSecurityGroup, ec2.Port.tcp(CONTAINER_PORT), 'ALB to shutter serve');
    albSecurityGroup.addEgressRule(serviceSecurityGroup, ec2.Port.tcp(CONTAINER_PORT), 'ALB to shutter serve');

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: size.minTasks,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [serviceSecurityGroup],
      assignPublicIp: false,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(30),
    });

    const listener = this.loadBalancer.addListener('Http', { port: 80, open: false });
    const targets = listener.addTargets('Engine', {
      port: CONTAINER_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service],
      healthCheck: { path: '/health', healthyHttpCodes: '200', interval: Duration.seconds(15) },
      deregistrationDelay: Duration.seconds(30),
    });

    const scaling = this.service.autoScaleTaskCount({ minCapacity: size.minTasks, maxCapacity: size.maxTasks });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
    scaling.scaleOnRequestCount('Requests', { requestsPerTarget: size.requestsPerTaskPerMinute, targetGroup: targets });

    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    acknowledge(
      this.loadBalancer,
      'AwsSolutions-ELB2',
      'ALB access logs only support SSE-S3 buckets, and the log bucket is SSE-KMS; CloudFront logs every request before it reaches this internal ALB (cloudfront/ in the log bucket).',
    );
    acknowledge(
      this.taskDefinition,
      'AwsSolutions-ECS2',
      "The environment holds SIH's settings and resource names, no secret: the signing key is read from Secrets Manager at run time (SECRETS_MANAGER names the secret).",
    );
    acknowledge(
      this.taskDefinition,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray/ECR authorization and Rekognition DetectFaces/DetectModerationLabels support no resource-level permissions; they only accept "*".',
    );
  }
}

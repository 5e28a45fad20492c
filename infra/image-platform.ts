/**
 * The whole platform as one construct, for embedding in any CDK app:
 *
 * ```ts
 * import { ImagePlatform } from 'shutter/infra/image-platform.js';
 * new ImagePlatform(stack, 'Images', { autoWebp: true, signature: {} });
 * ```
 *
 * It composes one construct per concern — storage, signing secret, delivery, streaming,
 * workflows, analytics, monitoring — and wires their least-privilege grants. Every prop has a
 * safe default; the defaults are SIH's where SIH has the setting.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EventStreaming } from './event-streaming.js';
import { ImageAnalytics } from './image-analytics.js';
import { DeliverySettingsTable } from './delivery-settings-table.js';
import { ImageDelivery, type ImageDeliveryProps } from './image-delivery.js';
import { ImageStorage, LOG_PREFIXES } from './image-storage.js';
import { OperatorConsole } from './operator-console.js';
import { ConsoleApi } from './console-api.js';
import { LAKE_TABLES } from './lake-tables.js';
import { ImageWorkflows, type WorkflowDefinitionBuilder, type WorkflowTaskSpec } from './image-workflows.js';
import { bundledCode, type LambdaCodeSource } from './lambda-code.js';
import type { BackfillMode } from '../workflows/backfill-workflow.js';
import {
  BACKFILL_STATE_MACHINE,
  backfillStateMachine,
  IMAGE_STATE_MACHINE,
  imageStateMachine,
  UPLOAD_TRIGGER_TASK,
  workflowTasks,
  type WorkflowTaskOptions,
} from './workflow-tasks.js';
import { PlatformMonitoring, type AlarmThresholds } from './platform-monitoring.js';
import { OriginSecret } from './origin-secret.js';
import { SigningSecret } from './signing-secret.js';
import { CostGuards } from './cost-guards.js';
import type { FargateSize, Rollout } from './production-config.js';
import { SafeRollout } from './safe-rollout.js';

/**
 * Bundles whose sources other work streams deliver: a missing one becomes a failing stub, with a
 * warning. The workflow's task bundles are not here: a missing one fails synth.
 */
export const PENDING_BUNDLES: string[] = [];

export interface ImagePlatformProps {
  /** Where the Lambda bundles come from. @default `dist/lambda/` (written by `npm run build:lambdas`) */
  code?: LambdaCodeSource;
  /** CloudWatch Logs retention, and S3 log expiry. @default 180 days (SIH's default) */
  logRetentionDays?: number;
  /** Existing buckets the image handler may read (SIH SourceBuckets); the first is the default. @default only the platform's images bucket */
  sourceBuckets?: readonly string[];
  /** @default false */
  autoWebp?: boolean;
  /** @default false */
  autoAvif?: boolean;
  /** Size images a URL leaves open from client hints (`CLIENT_HINTS`). @default false */
  clientHints?: boolean;
  /** @default CORS off */
  cors?: { origin: string };
  /** Signed URLs (SIH EnableSignature). Omit `secretName` to have a secret created. @default off */
  signature?: { secretName?: string; secretKey?: string };
  /** @default none */
  fallbackImage?: { bucket: string; key: string };
  /** @default none */
  rewrite?: { matchPattern: string; substitution: string };
  /** @default PRICE_CLASS_ALL */
  priceClass?: cloudfront.PriceClass;
  /** @default the *.cloudfront.net name */
  domain?: { name: string; certificateArn: string };
  /** A WAFv2 web ACL (scope CLOUDFRONT), e.g. an `ImageWebAcl`'s (`edge-security.ts`). @default no WAF */
  webAclArn?: string;
  /** CloudFront Origin Shield in this Region. @default none */
  originShieldRegion?: string;
  /** Reserved concurrency of the image handler. @default none */
  imageHandlerConcurrency?: number;
  /** Unsigned URLs may start Rekognition themselves. @default false */
  allowUnsignedAnalysis?: boolean;
  /** How new function versions reach traffic (CodeDeploy), or false for none. @default Canary10Percent5Minutes */
  rollout?: Rollout | false;
  /** Serve images from ECS Fargate behind CloudFront (`fargate-engine.ts`), Lambda as fail-over. @default Lambda only */
  fargate?: { size: FargateSize };
  /** CloudFront's fail-over origin for the image API (the DR standby's). @default none */
  failoverOrigin?: ImageDeliveryProps['failoverOrigin'];
  /** Further origin secrets the image handler accepts (a DR standby: the primary's replica). @default none */
  acceptedOriginSecrets?: readonly string[];
  /** A monthly AWS Budgets alarm, in USD. @default none */
  monthlyBudget?: number;
  /** @default none */
  replication?: { bucketArn: string; kmsKeyArn: string };
  /** MSK Serverless and the event archive. @default true */
  streaming?: boolean;
  /**
   * The workflows. @default the image workflow (`workflows/image-workflow.ts`) started by the
   * start-image-workflow task on every upload, and the backfill (`workflows/backfill-workflow.ts`)
   */
  workflow?: {
    tasks?: (storage: ImageStorage, options: WorkflowTaskOptions) => Record<string, WorkflowTaskSpec>;
    stateMachines?: Record<string, WorkflowDefinitionBuilder>;
    uploadStateMachine?: string;
    /** The task EventBridge invokes with each upload. @default `start-image-workflow` */
    uploadTrigger?: string;
    /**
     * The backfill state machine: `distributed` (a Distributed Map over the S3 listing) or
     * `inline` (the paged listing task and inline Map the local engine runs), or false for none.
     * @default 'distributed'
     */
    backfill?: BackfillMode | false;
  };
  /** @default 10 GiB per query */
  athenaBytesScannedLimit?: number;
  /** @default no QuickSight resources */
  quickSight?: { principalArn: string };
  /** @default no email subscription */
  alarmEmail?: string;
  alarmThresholds?: AlarmThresholds;
  /** @default RETAIN for buckets, keys and secrets */
  removalPolicy?: RemovalPolicy;
  /**
   * The operator console (`directory`: the built `console/dist/`) as a static site behind its own
   * CloudFront distribution, with its API (`console-api.ts`) under `/api/*`. @default no console
   */
  console?: { directory: string };
  /** A label of the last origin secret rotation: a new one makes CloudFront read the secret again. @default none */
  originSecretRotation?: string;
}

export class ImagePlatform extends Construct {
  readonly storage: ImageStorage;
  readonly signing: SigningSecret | undefined;
  readonly delivery: ImageDelivery;
  /** The header secret CloudFront sends to the image API (`origin-secret.ts`). */
  readonly originSecret: OriginSecret;
  /** The delivery settings' DynamoDB table. */
  readonly settings: DeliverySettingsTable;
  readonly streaming: EventStreaming | undefined;
  readonly workflows: ImageWorkflows;
  readonly analytics: ImageAnalytics;
  readonly monitoring: PlatformMonitoring;
  readonly console: OperatorConsole | undefined;
  /** The console's API (`/api/*` of the console's distribution), with the console. */
  readonly consoleApi: ConsoleApi | undefined;
  readonly rollout: SafeRollout | undefined;
  readonly costGuards: CostGuards | undefined;

  constructor(scope: Construct, id: string, props: ImagePlatformProps = {}) {
    super(scope, id);
    const code = props.code ?? bundledCode('dist/lambda', { optional: PENDING_BUNDLES });
    const logRetentionDays = props.logRetentionDays ?? 180;
    const logRetention = logRetentionDays as logs.RetentionDays;

    this.storage = new ImageStorage(this, 'Storage', {
      uploadExpiration: Duration.days(7),
      logRetentionDays,
      replication: props.replication,
      removalPolicy: props.removalPolicy,
    });
    const storage = this.storage;
    // The events lake (the `events` Glue table): the archive writes Kafka's events there, and
    // whatever cannot reach Kafka (the image handler, outside the VPC; every publisher without
    // streaming) writes its events there directly.
    const eventsLake = { bucket: storage.logs, prefix: LOG_PREFIXES.events };

    this.signing = props.signature
      ? new SigningSecret(this, 'Signing', {
          secretName: props.signature.secretName,
          secretKey: props.signature.secretKey ?? 'signatureKey',
          encryptionKey: storage.dataKey,
        })
      : undefined;

    // Origins, policies and host mappings operators change at run time (docs/delivery-settings.md).
    this.settings = new DeliverySettingsTable(this, 'DeliverySettings', { removalPolicy: props.removalPolicy });

    this.originSecret = new OriginSecret(this, 'OriginSecret', { encryptionKey: storage.dataKey });
    this.delivery = new ImageDelivery(this, 'Delivery', {
      originSecret: this.originSecret,
      acceptedOriginSecrets: props.acceptedOriginSecrets,
      originSecretRotation: props.originSecretRotation,
      code,
      images: storage.images,
      logs: storage.logs,
      eventsLake,
      logRetention,
      sourceBuckets: props.sourceBuckets,
      // Results over 6 MB sit next to the renditions, under results/.
      results: storage.renditions,
      autoWebp: props.autoWebp,
      autoAvif: props.autoAvif,
      clientHints: props.clientHints,
      renditions: storage.renditions,
      settings: this.settings,
      cors: props.cors,
      signature: this.signing,
      fallbackImage: props.fallbackImage,
      rewrite: props.rewrite,
      priceClass: props.priceClass,
      domain: props.domain,
      webAclArn: props.webAclArn,
      originShieldRegion: props.originShieldRegion,
      reservedConcurrency: props.imageHandlerConcurrency,
      allowUnsignedAnalysis: props.allowUnsignedAnalysis,
      fargate: props.fargate,
      failoverOrigin: props.failoverOrigin,
    });

    this.streaming =
      (props.streaming ?? true)
        ? new EventStreaming(this, 'Streaming', {
            code,
            lake: eventsLake,
            flowLogs: { bucket: storage.logs, prefix: LOG_PREFIXES.vpcFlowLogs },
            logRetention,
            removalPolicy: props.removalPolicy,
          })
        : undefined;

    const backfill = props.workflow?.backfill ?? 'distributed';
    this.workflows = new ImageWorkflows(this, 'Workflows', {
      code,
      tasks: (props.workflow?.tasks ?? workflowTasks)(storage, { backfill }),
      stateMachines: props.workflow?.stateMachines ?? {
        [IMAGE_STATE_MACHINE]: imageStateMachine,
        // A backfill reads what the image workflow's tasks can read: the uploads bucket.
        ...(backfill ? { [BACKFILL_STATE_MACHINE]: backfillStateMachine(backfill, [storage.uploads]) } : {}),
      },
      uploadStateMachine: props.workflow?.uploadStateMachine ?? IMAGE_STATE_MACHINE,
      uploadTrigger: props.workflow?.uploadTrigger ?? UPLOAD_TRIGGER_TASK,
      uploads: storage.uploads,
      streaming: this.streaming,
      lake: eventsLake,
      environment: {
        UPLOADS_BUCKET: storage.uploads.bucketName,
        RENDITIONS_BUCKET: storage.renditions.bucketName,
        // Manifests name each rendition by its URL on the image distribution (`/r/*`).
        RENDITIONS_BASE_URL: this.delivery.url,
        QUARANTINE_BUCKET: storage.quarantine.bucketName,
        // The config requires a source bucket; the tasks read uploads only.
        SOURCE_BUCKETS: storage.uploads.bucketName,
      },
      logRetention,
    });

    this.analytics = new ImageAnalytics(this, 'Analytics', {
      bucket: storage.logs,
      resultsKey: storage.logsKey,
      resultsPrefix: LOG_PREFIXES.athenaResults,
      bytesScannedCutoffPerQuery: props.athenaBytesScannedLimit ?? 10 * 1024 ** 3,
      quickSight: props.quickSight,
      cloudFrontLogs: this.delivery.cloudFrontLogs.bucket,
    });

    if (props.console) {
      this.consoleApi = new ConsoleApi(this, 'ConsoleApi', {
        code,
        logRetention,
        buckets: { images: storage.images, uploads: storage.uploads, renditions: storage.renditions, quarantine: storage.quarantine },
        sourceBuckets: props.sourceBuckets,
        settings: this.settings,
        stateMachines: {
          image: this.workflows.stateMachines[props.workflow?.uploadStateMachine ?? IMAGE_STATE_MACHINE]!,
          backfill: this.workflows.stateMachines[BACKFILL_STATE_MACHINE],
        },
        analytics: {
          workGroup: this.analytics.workGroup,
          databaseName: this.analytics.databaseName,
          tableNames: Object.keys(this.analytics.tables),
          lake: storage.logs,
          tablePrefixes: LAKE_TABLES.map((table) => table.prefix),
          resultsPrefix: LOG_PREFIXES.athenaResults,
        },
        encryptionKey: storage.dataKey,
        originSecret: this.originSecret,
        signature: this.signing,
        // The image API sets the account's API Gateway logging role, which stage logging needs first.
        loggingRole: this.delivery.api.node.tryFindChild('Account'),
        removalPolicy: props.removalPolicy,
      });
      this.console = new OperatorConsole(this, 'Console', {
        directory: props.console.directory,
        logs: storage.logs,
        webAclArn: props.webAclArn,
        removalPolicy: props.removalPolicy,
        api: { api: this.consoleApi.api, originSecret: this.originSecret },
        originSecretRotation: props.originSecretRotation,
      });
    }

    this.monitoring = new PlatformMonitoring(this, 'Monitoring', {
      api: this.delivery.api,
      distribution: this.delivery.distribution,
      imageHandler: this.delivery.handler.function,
      stateMachines: this.workflows.stateMachines,
      deadLetterQueues: this.workflows.deadLetterQueues,
      archiver: this.streaming?.archiver.function,
      topicKey: storage.logsKey,
      alarmEmail: props.alarmEmail,
      thresholds: props.alarmThresholds,
    });

    const alarms = this.monitoring.alarmsById;
    this.rollout =
      props.rollout === false
        ? undefined
        : new SafeRollout(this, 'Rollout', {
            rollout: props.rollout,
            topic: this.monitoring.topic,
            functions: {
              'image-handler': { fn: this.delivery.handler, alarms: [alarms.ApiServerErrorRate!, alarms.ApiLatencyP95!] },
              ...Object.fromEntries(
                Object.entries(this.workflows.tasks).map(([name, fn]) => [
                  name,
                  // Its alias's errors only: a workflow failure alarm watches the state machine,
                  // which invokes this alias, whose update waits on this group (a cycle).
                  { fn, alarms: [] },
                ]),
              ),
              ...(this.streaming ? { 'events-archiver': { fn: this.streaming.archiver, alarms: alarms.EventArchiveLag ? [alarms.EventArchiveLag] : [] } } : {}),
              ...(this.consoleApi ? { 'console-api': { fn: this.consoleApi.handler, alarms: [] } } : {}),
            },
          });
    this.costGuards =
      props.monthlyBudget !== undefined
        ? new CostGuards(this, 'CostGuards', {
            monthlyBudget: props.monthlyBudget,
            topic: this.monitoring.topic,
            topicKey: storage.logsKey,
          })
        : undefined;
  }
}

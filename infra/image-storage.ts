/**
 * Storage: the buckets and their keys.
 *
 * | bucket | holds | protection |
 * | --- | --- | --- |
 * | images | source images (the default SIH source bucket) | versioned, old versions kept 30 days, optional replication |
 * | uploads | images dropped in for the bulk workflow | deleted after 7 days (the seed's archive policy) |
 * | renditions | workflow output and manifests | reproducible from the sources, so not versioned |
 * | quarantine | images moderation flagged | versioned: evidence for the operator's decision |
 * | logs | `cloudfront/`, `s3-access/`, `vpc-flow-logs/`, `access-logs/`, `events/` (the lake), `athena-results/` | logs expire after the log retention; events stay |
 *
 * Two customer-managed keys with yearly rotation: one for image data, one for logs and the
 * lake, so analysts can be given the second without the first.
 */
import { Duration, RemovalPolicy, type CfnResource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, findingRef } from './acknowledge.js';
import { SecureBucket } from './secure-bucket.js';

/** Prefixes in the log bucket, shared by the writers and the Glue tables. */
export const LOG_PREFIXES = {
  cloudFront: 'cloudfront/',
  /** The operator console's distribution, apart from the image CDN's (which the cloudfront_logs table reads). */
  consoleCloudFront: 'cloudfront-console/',
  s3Access: 's3-access/',
  /** Rejected connections in the streaming VPC. */
  vpcFlowLogs: 'vpc-flow-logs/',
  /** API Gateway access logs, delivered by Firehose as `access-logs/dt=YYYY-MM-DD/`. */
  accessLogs: 'access-logs/',
  /** Events archived from Kafka, as `events/dt=YYYY-MM-DD/`. */
  events: 'events/',
  athenaResults: 'athena-results/',
} as const;

export interface ImageStorageProps {
  /** Days before an upload is deleted. @default 7 */
  uploadExpiration?: Duration;
  /** Days log objects are kept (SIH's LogRetention). */
  logRetentionDays: number;
  /** Replicates the images bucket to another bucket, re-encrypted with that side's key. @default none */
  replication?: { bucketArn: string; kmsKeyArn: string };
  /** @default RETAIN */
  removalPolicy?: RemovalPolicy;
}

export class ImageStorage extends Construct {
  readonly dataKey: kms.Key;
  readonly logsKey: kms.Key;
  readonly images: s3.Bucket;
  readonly uploads: s3.Bucket;
  readonly renditions: s3.Bucket;
  readonly quarantine: s3.Bucket;
  readonly logs: s3.Bucket;

  constructor(scope: Construct, id: string, props: ImageStorageProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.dataKey = new kms.Key(this, 'DataKey', {
      description: 'shutter: images, uploads, renditions, quarantine, signing secret',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.logsKey = new kms.Key(this, 'LogsKey', {
      description: 'shutter: logs, events lake, Athena results, alarm topic',
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudFront standard logging writes through the log-delivery service, which must be able
    // to encrypt with the log bucket's key.
    this.logsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudFrontStandardLogging',
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    const days = (n: number) => Duration.days(n);
    this.logs = new SecureBucket(this, 'Logs', {
      encryptionKey: this.logsKey,
      accessLogs: 'none',
      // CloudFront standard logging still writes with ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [
        {
          id: 'expire-cloudfront-logs',
          prefix: LOG_PREFIXES.cloudFront,
          expiration: days(props.logRetentionDays),
        },
        {
          id: 'expire-console-cloudfront-logs',
          prefix: LOG_PREFIXES.consoleCloudFront,
          expiration: days(props.logRetentionDays),
        },
        {
          id: 'expire-s3-access-logs',
          prefix: LOG_PREFIXES.s3Access,
          expiration: days(props.logRetentionDays),
        },
        {
          id: 'expire-api-access-logs',
          prefix: LOG_PREFIXES.accessLogs,
          expiration: days(props.logRetentionDays),
        },
        {
          id: 'expire-vpc-flow-logs',
          prefix: LOG_PREFIXES.vpcFlowLogs,
          expiration: days(props.logRetentionDays),
        },
        // The lake is the analytics history, so it stays; after a month it is read rarely, and
        // Intelligent-Tiering keeps it queryable by Athena at a lower price.
        {
          id: 'tier-events',
          prefix: LOG_PREFIXES.events,
          transitions: [{ storageClass: s3.StorageClass.INTELLIGENT_TIERING, transitionAfter: days(30) }],
        },
        // Parts of uploads that never completed (a Firehose or Athena write cut short) bill as storage.
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: days(7) },
        // Query results are re-creatable and can hold copies of any column; keep them a month.
        { id: 'expire-athena-results', prefix: LOG_PREFIXES.athenaResults, expiration: days(30) },
      ],
      removalPolicy,
    });

    this.images = new SecureBucket(this, 'Images', {
      encryptionKey: this.dataKey,
      accessLogs: this.logs,
      versioned: true,
      lifecycleRules: [{ id: 'expire-old-versions', noncurrentVersionExpiration: days(30) }],
      ...(props.replication
        ? {
            replicationRules: [
              {
                destination: s3.Bucket.fromBucketArn(this, 'ReplicaBucket', props.replication.bucketArn),
                kmsKey: kms.Key.fromKeyArn(this, 'ReplicaKey', props.replication.kmsKeyArn),
                sseKmsEncryptedObjects: true,
                deleteMarkerReplication: false,
                priority: 0,
              },
            ],
          }
        : {}),
      removalPolicy,
    });
    if (props.replication) this.acknowledgeReplicationRole(props.replication.bucketArn);
    this.uploads = new SecureBucket(this, 'Uploads', {
      encryptionKey: this.dataKey,
      accessLogs: this.logs,
      eventBridge: true,
      lifecycleRules: [{ id: 'expire-uploads', expiration: props.uploadExpiration ?? days(7) }],
      removalPolicy,
    });
    this.renditions = new SecureBucket(this, 'Renditions', {
      encryptionKey: this.dataKey,
      accessLogs: this.logs,
      removalPolicy,
    });
    this.quarantine = new SecureBucket(this, 'Quarantine', {
      encryptionKey: this.dataKey,
      accessLogs: this.logs,
      versioned: true,
      lifecycleRules: [{ id: 'expire-old-versions', noncurrentVersionExpiration: days(90) }],
      removalPolicy,
    });
  }

  /** CDK's replication role holds what S3 replication documents, on these two buckets only. */
  private acknowledgeReplicationRole(replicaBucketArn: string): void {
    const role = this.images.node.tryFindChild('ReplicationRole');
    if (!role) return;
    const images = findingRef(this.images.node.defaultChild as CfnResource);
    const reasons: Array<[string, string]> = [
      [
        `Resource::${images}/*`,
        'Replication reads every object version of the images bucket; S3 names them only by pattern.',
      ],
      [
        `Resource::${replicaBucketArn}/*`,
        'Replication writes any key into the replica bucket; S3 names them only by pattern.',
      ],
      [
        'Action::kms:GenerateDataKey*',
        'The KMS actions S3 replication documents for SSE-KMS objects, on the two named keys only.',
      ],
      [
        'Action::kms:ReEncrypt*',
        'The KMS actions S3 replication documents for SSE-KMS objects, on the two named keys only.',
      ],
    ];
    for (const [finding, reason] of reasons) acknowledge(role, `AwsSolutions-IAM5[${finding}]`, reason);
  }
}

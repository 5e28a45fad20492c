/**
 * The only kind of bucket the platform creates: encrypted with a customer-managed KMS key (with
 * S3 Bucket Keys, which cut KMS requests by ~99%), reachable over TLS 1.2+ only, never public,
 * ACLs off unless a log writer needs them, and its access logged to the log bucket.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

export interface SecureBucketProps {
  encryptionKey: kms.IKey;
  /** Where S3 server access logs go (under `s3-access/<id>/`). Only the log bucket itself has none. */
  accessLogs: s3.IBucket | 'none';
  /** @default false */
  versioned?: boolean;
  lifecycleRules?: s3.LifecycleRule[];
  /** Sends object events to EventBridge (for the upload trigger). @default false */
  eventBridge?: boolean;
  /** CloudFront standard logging writes with ACLs. @default BUCKET_OWNER_ENFORCED (ACLs off) */
  objectOwnership?: s3.ObjectOwnership;
  replicationRules?: s3.ReplicationRule[];
  /** @default RETAIN: data outlives the stack */
  removalPolicy?: RemovalPolicy;
}

/** A KMS-encrypted, TLS-only, private, logged bucket. */
export class SecureBucket extends s3.Bucket {
  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: props.objectOwnership ?? s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: props.versioned ?? false,
      lifecycleRules: [
        // Abandoned multipart uploads are invisible yet billed; nothing here takes a day to upload.
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ...(props.lifecycleRules ?? []),
      ],
      ...(props.accessLogs === 'none'
        ? {}
        : {
            serverAccessLogsBucket: props.accessLogs,
            serverAccessLogsPrefix: `s3-access/${id.toLowerCase()}/`,
          }),
      ...(props.replicationRules ? { replicationRules: props.replicationRules } : {}),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    if (props.eventBridge) {
      // Set on the bucket itself: CDK's `eventBridgeEnabled` adds a custom-resource Lambda with
      // s3:PutBucketNotification on "*", which CloudFormation does not need for this.
      (this.node.defaultChild as s3.CfnBucket).addPropertyOverride(
        'NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled',
        true,
      );
    }
  }
}

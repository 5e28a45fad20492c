/**
 * API Gateway access logs → Firehose → the log bucket under `access-logs/dt=YYYY-MM-DD/`,
 * one JSON object per line, gzipped: the layout the `access_logs` Glue table projects its
 * partitions over. API Gateway writes to Firehose directly (no CloudWatch Logs ingestion fee).
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeObjectPattern, objectArns } from './bucket-access.js';
import { physicalName } from './physical-name.js';

export interface AccessLogStreamProps {
  bucket: s3.IBucket;
  /** e.g. `access-logs/` */
  prefix: string;
  logRetention: logs.RetentionDays;
}

export class AccessLogStream extends Construct {
  readonly stream: firehose.CfnDeliveryStream;

  constructor(scope: Construct, id: string, props: AccessLogStreamProps) {
    super(scope, id);
    const errorPrefix = `${props.prefix.replace(/\/$/, '')}-errors/`;
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'Firehose: deliver API access logs to the log bucket',
    });
    // The actions Firehose documents for an S3 destination, on the two prefixes it writes.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject'],
        resources: [
          objectArns({ bucket: props.bucket, prefix: props.prefix }),
          objectArns({ bucket: props.bucket, prefix: errorPrefix }),
        ],
      }),
    );
    for (const prefix of [props.prefix, errorPrefix])
      acknowledgeObjectPattern(role, { bucket: props.bucket, prefix }, 'Firehose delivering');
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [props.bucket.bucketArn],
      }),
    );
    if (props.bucket.encryptionKey) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [props.bucket.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
        }),
      );
    }
    const errors = new logs.LogGroup(this, 'DeliveryErrors', { retention: props.logRetention });
    const errorStream = new logs.LogStream(this, 'DeliveryErrorStream', { logGroup: errors });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [errors.logGroupArn] }),
    );

    this.stream = new firehose.CfnDeliveryStream(this, 'Stream', {
      // API Gateway only logs to streams whose name starts with this; Firehose allows 64 characters.
      deliveryStreamName: physicalName(this, { prefix: 'amazon-apigateway-', maxLength: 64 }),
      deliveryStreamType: 'DirectPut',
      // The stream's short buffer is encrypted with Firehose's key; the objects with the bucket's.
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: props.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: `${props.prefix}dt=!{timestamp:yyyy-MM-dd}/`,
        errorOutputPrefix: `${errorPrefix}!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`,
        compressionFormat: 'GZIP',
        // Five minutes or 64 MB, whichever first: few, large objects keep Athena scans cheap.
        bufferingHints: { intervalInSeconds: 300, sizeInMBs: 64 },
        encryptionConfiguration: props.bucket.encryptionKey
          ? { kmsEncryptionConfig: { awskmsKeyArn: props.bucket.encryptionKey.keyArn } }
          : { noEncryptionConfig: 'NoEncryption' },
        // API Gateway sends one log line per record without a line break; Athena's JSON SerDe needs one per line.
        processingConfiguration: {
          enabled: true,
          processors: [{ type: 'AppendDelimiterToRecord', parameters: [] }],
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: errors.logGroupName,
          logStreamName: errorStream.logStreamName,
        },
      },
    });
    this.stream.node.addDependency(role);
  }
}

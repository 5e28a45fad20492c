/**
 * Where CloudFront writes its standard logs. CloudFront cannot deliver them to a bucket in an
 * opt-in Region (its developer guide lists them), so a stack there gets its CloudFront log
 * bucket in us-east-1, as SIH does: created by the stack through the S3 API (a CloudFormation
 * stack creates resources in its own Region only), private, TLS-only, ACLs for the log delivery
 * service only (CloudFront standard logging writes with them), logs expiring after the log
 * retention, and kept when the stack is deleted. Elsewhere the platform's log bucket is used.
 *
 * The decision needs the Region at synth time, as `cdk deploy` has it; an environment-agnostic
 * synthesis keeps the log bucket and warns.
 */
import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeSdkCallProvider } from './acknowledge.js';
import { stackInstanceSuffix, STACK_SUFFIX_LENGTH } from './physical-name.js';

/** Regions whose buckets CloudFront standard logging cannot deliver to (the opt-in Regions). */
export const CLOUDFRONT_LOGS_UNSUPPORTED_REGIONS: readonly string[] = [
  'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5',
  'ap-southeast-6', 'ap-southeast-7', 'ca-west-1', 'eu-central-2', 'eu-south-1', 'eu-south-2', 'il-central-1',
  'me-central-1', 'me-south-1', 'mx-central-1',
];

/** Where CloudFront standard logs can always be delivered. */
export const CLOUDFRONT_LOGS_FALLBACK_REGION = 'us-east-1';

export interface CloudFrontLogBucketProps {
  /** The platform's log bucket, used wherever CloudFront can deliver to it. */
  logs: s3.IBucket;
  logRetentionDays: number;
}

export class CloudFrontLogBucket extends Construct {
  /** The bucket CloudFront logs to. */
  readonly bucket: s3.IBucket;
  /** True when that is a bucket in us-east-1 rather than the platform's log bucket. */
  readonly elsewhere: boolean;

  constructor(scope: Construct, id: string, props: CloudFrontLogBucketProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) {
      Annotations.of(this).addWarningV2(
        'shutter:cloudfront-logs-region',
        `Synthesized without a Region: CloudFront logs go to the log bucket, which fails to deploy in ${CLOUDFRONT_LOGS_UNSUPPORTED_REGIONS.join(', ')}. Synthesize with the Region (cdk deploy does).`,
      );
    }
    this.elsewhere = !Token.isUnresolved(region) && CLOUDFRONT_LOGS_UNSUPPORTED_REGIONS.includes(region);
    this.bucket = this.elsewhere ? this.createInUsEast1(props) : props.logs;
  }

  private createInUsEast1(props: CloudFrontLogBucketProps): s3.IBucket {
    const stack = Stack.of(this);
    // Lower case, 63 characters at most, unique to this stack instance.
    const base = `${stack.stackName.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63 - '-cf-logs-'.length - STACK_SUFFIX_LENGTH)}-cf-logs-`;
    const bucketName = `${base}${stackInstanceSuffix()}`;
    const bucketArn = `arn:${stack.partition}:s3:::${bucketName}`;
    const call = (action: string, parameters: Record<string, unknown>): cr.AwsSdkCall => ({
      service: 'S3',
      action,
      region: CLOUDFRONT_LOGS_FALLBACK_REGION,
      parameters: { Bucket: bucketName, ...parameters },
      physicalResourceId: cr.PhysicalResourceId.of(`${bucketName}:${action}`),
    });
    const steps: Array<[string, cr.AwsSdkCall, string[]]> = [
      ['Create', call('CreateBucket', { ObjectOwnership: 'BucketOwnerPreferred' }), ['s3:CreateBucket', 's3:PutBucketOwnershipControls']],
      [
        'BlockPublicAccess',
        call('PutPublicAccessBlock', {
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
        }),
        ['s3:PutBucketPublicAccessBlock'],
      ],
      [
        'TlsOnly',
        call('PutBucketPolicy', {
          Policy: stack.toJsonString({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'TlsOnly',
                Effect: 'Deny',
                Principal: '*',
                Action: 's3:*',
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
            ],
          }),
        }),
        ['s3:PutBucketPolicy'],
      ],
      [
        'Expiry',
        call('PutBucketLifecycleConfiguration', {
          LifecycleConfiguration: {
            Rules: [{ ID: 'expire-cloudfront-logs', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: props.logRetentionDays } }],
          },
        }),
        ['s3:PutLifecycleConfiguration'],
      ],
    ];
    let previous: Construct | undefined;
    for (const [id, sdkCall, actions] of steps) {
      // onCreate only: the bucket outlives the stack (nothing deletes it), like the log bucket.
      const step = new cr.AwsCustomResource(this, id, {
        onCreate: sdkCall,
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({ actions, resources: [bucketArn] }),
        ]),
        installLatestAwsSdk: false,
      });
      if (previous) step.node.addDependency(previous);
      previous = step;
    }
    acknowledgeSdkCallProvider(this);
    // Whoever logs here depends on this construct, so on every step above.
    return s3.Bucket.fromBucketAttributes(this, 'Bucket', { bucketName, region: CLOUDFRONT_LOGS_FALLBACK_REGION });
  }
}

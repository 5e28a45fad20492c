/**
 * Least-privilege grants on S3, narrower than CDK's `grantRead`/`grantWrite` (which give
 * `s3:GetObject*`, `s3:List*` and `s3:DeleteObject*` on the whole bucket): exactly the actions a
 * function uses, on its prefix only, and the bucket's KMS key only through S3.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge, findingText } from './acknowledge.js';

/** A bucket, or the part of it under `prefix` (e.g. `manifests/`). */
export interface BucketAccess {
  bucket: s3.IBucket;
  /** @default the whole bucket */
  prefix?: string;
}

/** The object ARN pattern for an access: `arn:aws:s3:::bucket/prefix*`. */
export function objectArns(access: BucketAccess): string {
  return `${access.bucket.bucketArn}/${access.prefix ?? ''}*`;
}

/**
 * Object-level S3 permissions name objects by pattern — the objects do not exist yet — so the
 * `*` after a bucket/prefix is the narrowest ARN S3 allows; cdk-nag's IAM5 is acknowledged for
 * exactly that pattern, on the role that holds it.
 */
export function acknowledgeObjectPattern(role: iam.IRole, access: BucketAccess, actions: string): void {
  // Rendered as cdk-nag renders it: `<Bucket.Arn>/…*` for a bucket of this stack, and for an
  // imported one `arn:<AWS::Partition>:…` environment-agnostic but `arn:aws:…` once the stack has
  // a Region (as under `cdk deploy`), where the partition becomes a literal.
  acknowledge(
    role,
    `AwsSolutions-IAM5[Resource::${findingText(role, objectArns(access))}]`,
    `${actions} on objects under ${access.prefix ? `the ${access.prefix} prefix` : 'this one bucket'}: S3 names objects that do not exist yet only by pattern.`,
  );
}

/**
 * GetObject on the prefix, and ListBucket limited to it so a missing key answers 404 rather
 * than 403 (S3 hides existence from callers without ListBucket).
 */
export function grantObjectRead(role: iam.IRole, access: BucketAccess): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objectArns(access)] }),
  );
  acknowledgeObjectPattern(role, access, 'Reading');
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [access.bucket.bucketArn],
      ...(access.prefix ? { conditions: { StringLike: { 's3:prefix': [`${access.prefix}*`] } } } : {}),
    }),
  );
  grantKeyViaS3(role, access.bucket, ['kms:Decrypt']);
}

/** PutObject (and aborting its own multipart uploads) on the prefix; never delete. */
export function grantObjectWrite(role: iam.IRole, access: BucketAccess): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: [objectArns(access)],
    }),
  );
  acknowledgeObjectPattern(role, access, 'Writing');
  // Multipart uploads decrypt the parts they assemble, hence Decrypt next to GenerateDataKey.
  grantKeyViaS3(role, access.bucket, ['kms:GenerateDataKey', 'kms:Decrypt']);
}

/** DeleteObject on the prefix (e.g. moving an upload to quarantine). */
export function grantObjectDelete(role: iam.IRole, access: BucketAccess): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: [objectArns(access)] }),
  );
  acknowledgeObjectPattern(role, access, 'Deleting');
}

/** The bucket's key, usable only by S3 on the grantee's behalf (`kms:ViaService`). */
function grantKeyViaS3(role: iam.IRole, bucket: s3.IBucket, actions: string[]): void {
  if (!bucket.encryptionKey) return;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions,
      resources: [bucket.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
    }),
  );
}

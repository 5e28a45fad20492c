/**
 * The one way to accept a cdk-nag finding: on the narrowest construct, with the reason the
 * finding does not apply or is the price of a stated benefit. Tests list every acknowledgement
 * with its reason (test-artifacts/nag-acknowledgements.json), so none goes unexplained.
 */
import { Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Shortest reason accepted: a reason must say why, not just "needed". */
const MIN_REASON_LENGTH = 30;

/**
 * Acknowledges a cdk-nag rule (e.g. `AwsSolutions-S1`) or one finding of it
 * (`AwsSolutions-IAM5[Resource::<Bucket.Arn>/*]`) on `scope` and everything under it.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < MIN_REASON_LENGTH)
    throw new Error(`acknowledge(${id}): give a real reason, not "${reason}"`);
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * How cdk-nag names a resource's attribute in a finding, e.g. `<ImagesBucket1A2B3C.Arn>`,
 * so a finding about `bucketArn/*` can be acknowledged exactly.
 */
export function findingRef(resource: CfnResource, attribute = 'Arn'): string {
  return `<${Stack.of(resource).getLogicalId(resource)}.${attribute}>`;
}

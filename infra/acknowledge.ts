/**
 * The one way to accept a cdk-nag finding: on the narrowest construct, with the reason the
 * finding does not apply or is the price of a stated benefit. Tests list every acknowledgement
 * with its reason (test-artifacts/nag-acknowledgements.json), so none goes unexplained.
 */
import { Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import { AwsCustomResource } from 'aws-cdk-lib/custom-resources';
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

/**
 * How cdk-nag writes a string with tokens in a finding: `Ref`s of pseudo parameters and resources
 * as `<AWS::Region>` / `<Id>`, `Fn::GetAtt` as `<Id.Attr>`, other intrinsics as their JSON, and
 * whatever the stack's environment makes concrete (Region, partition) as plain text; so an
 * acknowledgement matches however the stack is synthesized.
 */
export function findingText(scope: IConstruct, value: string): string {
  const render = (resolved: unknown): string => {
    if (typeof resolved === 'string') return resolved;
    const intrinsic = resolved as Record<string, unknown>;
    if (typeof intrinsic.Ref === 'string') return `<${intrinsic.Ref}>`;
    if (Array.isArray(intrinsic['Fn::GetAtt'])) return `<${(intrinsic['Fn::GetAtt'] as string[]).join('.')}>`;
    if (Array.isArray(intrinsic['Fn::Join'])) {
      const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
    return JSON.stringify(resolved);
  };
  return render(Stack.of(scope).resolve(value));
}

/**
 * CDK's AwsCustomResource runs its SDK calls in one stack-wide provider function whose role only
 * writes its logs, through the AWS managed AWSLambdaBasicExecutionRole: acknowledged once, by
 * whoever adds an AwsCustomResource (after adding it: the provider exists from then on).
 */
export function acknowledgeSdkCallProvider(scope: IConstruct): void {
  // A stack-wide singleton whose id is `AWS` + its UUID without dashes.
  const provider = Stack.of(scope).node.tryFindChild(`AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  if (!provider) return;
  acknowledge(
    provider,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "CDK's own custom-resource provider for deploy-time SDK calls (MSK's brokers, the us-east-1 CloudFront log bucket); its role only writes its logs through this AWS managed policy.",
  );
}

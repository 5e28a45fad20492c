/**
 * Physical names for the few resources that must have one. A fixed name collides twice: in a
 * second Region for account-wide names (IAM roles, CloudFront policies, functions and origin
 * access controls, CloudWatch dashboards), and on delete-and-recreate for resources the stack
 * retains (log groups). So every name ends with a suffix unique to this stack instance: the last
 * 12 hex digits of the stack's id (`arn:…:stack/<name>/<uuid>`), new in every Region and on every
 * creation, stable across updates. The readable part is cut to leave room for it.
 */
import { Aws, Fn, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Length of {@link stackInstanceSuffix}: the last group of a UUID. */
export const STACK_SUFFIX_LENGTH = 12;

/** The last 12 hex digits of the stack id's UUID, unique to this stack in this Region and creation. */
export function stackInstanceSuffix(): string {
  return Fn.select(4, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));
}

/**
 * `<prefix><stack name, cut>-<suffix>` within `maxLength` characters, e.g. for a Firehose stream
 * `physicalName(this, { prefix: 'amazon-apigateway-', maxLength: 64 })`.
 * Stack names hold only `[A-Za-z0-9-]`, which every service here accepts.
 */
export function physicalName(
  scope: IConstruct,
  options: { maxLength: number; prefix?: string; suffix?: string },
): string {
  const prefix = options.prefix ?? '';
  const tail = options.suffix ? `-${options.suffix}` : '';
  const room = options.maxLength - prefix.length - tail.length - 1 - STACK_SUFFIX_LENGTH;
  if (room < 1) throw new Error(`physicalName: no room for the stack name within ${options.maxLength} characters`);
  const stackName = Stack.of(scope).stackName.slice(0, room);
  return `${prefix}${stackName}${tail}-${stackInstanceSuffix()}`;
}

/**
 * The image distribution's web ACL: on by default, off only on purpose (context `Waf=No`), or
 * replaced by an existing one (`WebAclArn`). Cheapest rule first:
 *
 * 1. a rate limit per client IP (blocks scrapers and cache-busting floods before they reach
 *    API Gateway and Lambda, which each cache miss bills);
 * 2. Amazon's IP reputation list (known bots and scanners);
 * 3. the core rule set, with its URI-size rule only counting: SIH's base64 request paths are
 *    often longer than its 1 KB limit, and the handler bounds path length itself (414);
 * 4. known bad inputs (Log4Shell-style payloads, exploit paths).
 *
 * CloudFront web ACLs live in us-east-1 only: {@link EdgeSecurityStack} holds the ACL there when
 * the platform's stack is in another Region; in a stack whose Region is decided at deploy time
 * a CloudFormation rule stops any Region but us-east-1 with a message that says what to do.
 */
import { CfnRule, Fn, Stack, Token, type StackProps } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** The only Region where CloudFront web ACLs (and certificates) can be created. */
export const EDGE_REGION = 'us-east-1';

export interface ImageWebAclProps {
  /** Requests per client IP per 5 minutes before WAF blocks it. */
  rateLimit: number;
}

const MANAGED_GROUPS: Array<{ name: string; countOnly?: string[] }> = [
  { name: 'AWSManagedRulesAmazonIpReputationList' },
  { name: 'AWSManagedRulesCommonRuleSet', countOnly: ['SizeRestrictions_URIPATH'] },
  { name: 'AWSManagedRulesKnownBadInputsRuleSet' },
];

export class ImageWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly arn: string;

  constructor(scope: Construct, id: string, props: ImageWebAclProps) {
    super(scope, id);
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    const stackName = Stack.of(this).stackName;
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      // CloudFormation allows no parentheses or plus signs here.
      description: 'shutter image delivery: rate limit and AWS managed rules',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${stackName}-images`),
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: { limit: props.rateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 },
          },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
        ...MANAGED_GROUPS.map((group, index) => ({
          name: group.name,
          priority: index + 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: group.name,
              ...(group.countOnly
                ? { ruleActionOverrides: group.countOnly.map((name) => ({ name, actionToUse: { count: {} } })) }
                : {}),
            },
          },
          visibilityConfig: visibility(group.name),
        })),
      ],
    });
    this.arn = this.webAcl.attrArn;

    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) {
      new CfnRule(this, 'EdgeRegion', {
        assertions: [
          {
            assert: Fn.conditionEquals(Stack.of(this).region, EDGE_REGION),
            assertDescription:
              'A CloudFront web ACL can only be created in us-east-1. Synthesize with a concrete Region (CDK_DEFAULT_REGION) so the ACL gets its own us-east-1 stack, or give WebAclArn, or set Waf=No on purpose.',
          },
        ],
      });
    } else if (region !== EDGE_REGION) {
      throw new Error(`ImageWebAcl must be in ${EDGE_REGION}, not ${region}: use EdgeSecurityStack`);
    }
  }
}

/** A small us-east-1 stack holding the web ACL, for a platform stack in another Region. */
export class EdgeSecurityStack extends Stack {
  readonly webAcl: ImageWebAcl;

  constructor(scope: Construct, id: string, props: StackProps & ImageWebAclProps) {
    super(scope, id, {
      description: 'shutter: the image distribution web ACL (CloudFront ACLs live in us-east-1)',
      ...props,
      env: { account: props.env?.account, region: EDGE_REGION },
    });
    this.webAcl = new ImageWebAcl(this, 'Images', { rateLimit: props.rateLimit });
  }
}

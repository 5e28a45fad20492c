/**
 * Issue #15, edge security, cost guards and safe rollout, on the synthesized stack: the
 * production defaults (one synthesis with cdk-nag), every option set, and a stack outside
 * us-east-1, whose web ACL moves to its own us-east-1 stack.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { LOG_PREFIXES } from '../../infra/image-storage.js';
import { parseProductionContext } from '../../infra/production-config.js';
import { synthPlatform, type SynthesizedPlatform } from './synth-platform.js';
import { logicalIdByPath, only, resources, type Resource } from './template-queries.js';

let defaults: SynthesizedPlatform;
let template: Template;
const json = () => template.toJSON() as { Resources: Record<string, Resource>; Rules?: Record<string, unknown> };

beforeAll(() => {
  defaults = synthPlatform({ nag: true });
  template = defaults.template;
});

test('cdk-nag reports no unacknowledged finding with the production defaults', () => {
  expect(defaults.violations).toEqual([]);
});

describe('WAF, on by default', () => {
  test('a CLOUDFRONT web ACL with a per-IP rate limit and the AWS managed rule groups', () => {
    const [, acl] = only(template, 'AWS::WAFv2::WebACL');
    interface Rule {
      Statement: { ManagedRuleGroupStatement: { Name: string; RuleActionOverrides?: unknown } };
    }
    const props = acl.Properties as { Scope: string; DefaultAction: unknown; Rules: Rule[] };
    expect(props.Scope).toBe('CLOUDFRONT');
    expect(props.DefaultAction).toEqual({ Allow: {} });
    const [rate, ...managed] = props.Rules;
    expect(rate).toMatchObject({
      Name: 'RateLimitPerIp',
      Priority: 0,
      Action: { Block: {} },
      Statement: { RateBasedStatement: { Limit: 3000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
    });
    expect(managed.map((rule) => rule.Statement.ManagedRuleGroupStatement.Name)).toEqual([
      'AWSManagedRulesAmazonIpReputationList',
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]);
    // SIH's base64 paths are longer than the core rule set's 1 KB URI limit: that rule only counts.
    expect(managed[1]!.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
      { Name: 'SizeRestrictions_URIPATH', ActionToUse: { Count: {} } },
    ]);
  });

  test('the image distribution uses it', () => {
    const [aclId] = only(template, 'AWS::WAFv2::WebACL');
    const distribution = json().Resources[logicalIdByPath(template, 'AWS::CloudFront::Distribution', 'Delivery/Distribution')]!;
    expect((distribution.Properties!.DistributionConfig as { WebACLId: unknown }).WebACLId).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
  });

  test('a stack whose Region is chosen at deploy time refuses any Region but us-east-1, saying what to do', () => {
    const rules = Object.values(json().Rules ?? {}) as Array<{ Assertions: Array<{ Assert: unknown; AssertDescription: string }> }>;
    const edge = rules.flatMap((rule) => rule.Assertions).find((assertion) => /web ACL/.test(assertion.AssertDescription));
    expect(edge?.Assert).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] });
    expect(edge?.AssertDescription).toMatch(/CDK_DEFAULT_REGION|Waf=No/);
  });

  test('Waf=No turns it off, on purpose only', () => {
    expect(parseProductionContext((key) => (key === 'Waf' ? 'No' : undefined)).waf).toBeUndefined();
    expect(parseProductionContext(() => undefined).waf).toEqual({ rateLimit: 3000 });
    expect(() => parseProductionContext((key) => (key === 'WafRateLimit' ? '5' : undefined))).toThrow(/WafRateLimit/);
  });
});

describe('safe rollout', () => {
  test('every function has a live alias on a published version, and a CodeDeploy canary with rollback', () => {
    const functions = resources(template, 'AWS::Lambda::Function').filter(([, fn]) => String(fn.Metadata?.['aws:cdk:path']).endsWith('/Function/Resource'));
    const aliases = resources(template, 'AWS::Lambda::Alias');
    expect(functions.length).toBeGreaterThan(5);
    expect(aliases).toHaveLength(functions.length);
    const groups = resources(template, 'AWS::CodeDeploy::DeploymentGroup');
    // Every function that serves traffic; the Kafka topic's custom-resource handler runs only
    // while CloudFormation deploys, so a canary has nothing to watch there.
    const deployTimeOnly = functions.filter(([, fn]) => String(fn.Metadata?.['aws:cdk:path']).includes('/TopicAdmin/'));
    expect(deployTimeOnly).toHaveLength(1);
    expect(groups).toHaveLength(functions.length - deployTimeOnly.length);
    for (const [, alias] of aliases) {
      expect(alias.Properties).toMatchObject({ Name: 'live', FunctionVersion: { 'Fn::GetAtt': [expect.any(String), 'Version'] } });
      // CloudFormation hands each alias update to CodeDeploy (not the deploy-time handler's).
      if (String(alias.Metadata?.['aws:cdk:path']).includes('/TopicAdmin/')) continue;
      expect((alias as { UpdatePolicy?: unknown }).UpdatePolicy).toMatchObject({ CodeDeployLambdaAliasUpdate: expect.any(Object) });
    }
    for (const [, group] of groups) {
      expect(group.Properties).toMatchObject({
        DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
        AutoRollbackConfiguration: { Enabled: true, Events: expect.arrayContaining(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM']) },
        AlarmConfiguration: { Enabled: true },
      });
    }
  });

  test("the image handler's rollout watches the API's 5xx-rate and latency alarms and its alias's errors", () => {
    const group = json().Resources[logicalIdByPath(template, 'AWS::CodeDeploy::DeploymentGroup', 'Rollout/ImageHandlerDeployment')]!;
    const alarms = (group.Properties!.AlarmConfiguration as { Alarms: Array<{ Name: { Ref: string } }> }).Alarms.map((alarm) => alarm.Name.Ref);
    expect(alarms).toEqual([
      logicalIdByPath(template, 'AWS::CloudWatch::Alarm', 'Rollout/ImageHandlerAliasErrors'),
      logicalIdByPath(template, 'AWS::CloudWatch::Alarm', 'Monitoring/ApiServerErrorRate'),
      logicalIdByPath(template, 'AWS::CloudWatch::Alarm', 'Monitoring/ApiLatencyP95'),
    ]);
  });

  test("a task function's rollout watches its alias's errors only (the workflow alarms would close a dependency cycle)", () => {
    const group = json().Resources[logicalIdByPath(template, 'AWS::CodeDeploy::DeploymentGroup', 'Rollout/SmartCropDeployment')]!;
    const alarms = (group.Properties!.AlarmConfiguration as { Alarms: Array<{ Name: { Ref: string } }> }).Alarms.map((alarm) => alarm.Name.Ref);
    expect(alarms).toEqual([logicalIdByPath(template, 'AWS::CloudWatch::Alarm', 'Rollout/SmartCropAliasErrors')]);
  });

  test('API Gateway, the state machines and EventBridge invoke aliases, never $LATEST', () => {
    const handlerAlias = logicalIdByPath(template, 'AWS::Lambda::Alias', 'Delivery/ImageHandler/Live');
    const methods = resources(template, 'AWS::ApiGateway::Method').filter(([, method]) => String(method.Metadata?.['aws:cdk:path']).includes('Delivery/Api'));
    expect(methods.length).toBeGreaterThan(0);
    for (const [, method] of methods) expect(JSON.stringify(method.Properties!.Integration)).toContain(`"Ref":"${handlerAlias}"`);

    const taskFunctions = resources(template, 'AWS::Lambda::Function').filter(([, fn]) => String(fn.Metadata?.['aws:cdk:path']).includes('/Workflows/'));
    for (const [, machine] of resources(template, 'AWS::StepFunctions::StateMachine')) {
      const definition = JSON.stringify(machine.Properties!.DefinitionString);
      expect(definition).toMatch(/Live[0-9A-F]{8}/);
      // No state invokes a task function by its unqualified ARN.
      for (const [id] of taskFunctions) expect(definition).not.toContain(`"Fn::GetAtt":["${id}","Arn"]`);
    }
  });

  test('Rollout=AllAtOnce is CodeDeploy AllAtOnce; an unknown rollout is refused', () => {
    expect(parseProductionContext((key) => (key === 'Rollout' ? 'AllAtOnce' : undefined)).rollout).toBe('AllAtOnce');
    expect(() => parseProductionContext((key) => (key === 'Rollout' ? 'Fast' : undefined))).toThrow(/Rollout: expected one of/);
  });
});

describe('cost guards', () => {
  test('a monthly budget (1000 USD by default) alerts the alarm topic at 80% actual and 100% forecast', () => {
    const [, budget] = only(template, 'AWS::Budgets::Budget');
    const topic = logicalIdByPath(template, 'AWS::SNS::Topic', 'Monitoring/Alarms');
    expect(budget.Properties).toMatchObject({
      Budget: { BudgetType: 'COST', TimeUnit: 'MONTHLY', BudgetLimit: { Amount: 1000, Unit: 'USD' } },
      NotificationsWithSubscribers: [
        { Notification: { NotificationType: 'ACTUAL', Threshold: 80 }, Subscribers: [{ SubscriptionType: 'SNS', Address: { Ref: topic } }] },
        { Notification: { NotificationType: 'FORECASTED', Threshold: 100 }, Subscribers: [{ SubscriptionType: 'SNS', Address: { Ref: topic } }] },
      ],
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'BudgetsPublish', Principal: { Service: 'budgets.amazonaws.com' } })]) },
    });
  });

  test('every log prefix has a lifecycle rule', () => {
    const logs = json().Resources[logicalIdByPath(template, 'AWS::S3::Bucket', 'Storage/Logs')]!;
    const rules = (logs.Properties!.LifecycleConfiguration as { Rules: Array<{ Prefix?: string; Status: string }> }).Rules;
    for (const prefix of Object.values(LOG_PREFIXES))
      expect(rules.filter((rule) => rule.Prefix === prefix && rule.Status === 'Enabled').map((rule) => rule.Prefix)).toEqual([prefix]);
  });

  test('the image handler refuses unsigned Rekognition requests unless allowed', () => {
    const handler = json().Resources[logicalIdByPath(template, 'AWS::Lambda::Function', 'Delivery/ImageHandler/Function')]!;
    expect((handler.Properties!.Environment as { Variables: Record<string, string> }).Variables.ANALYSIS_UNSIGNED).toBe('No');
  });
});

describe('every option', () => {
  let options: Template;
  beforeAll(() => {
    options = synthPlatform({
      context: {
        OriginShieldRegion: 'eu-west-1',
        ImageHandlerConcurrency: '200',
        MonthlyBudget: '250',
        Rollout: 'Linear10PercentEvery1Minute',
        AllowUnsignedAnalysis: 'Yes',
        WafRateLimit: '500',
        DomainName: 'images.example.com',
        CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
      },
    }).template;
  });

  test('custom domain with TLSv1.2_2021, Origin Shield, reserved concurrency, budget, rollout, rate limit', () => {
    options.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['images.example.com'],
        ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' }),
        Origins: Match.arrayWith([Match.objectLike({ OriginShield: { Enabled: true, OriginShieldRegion: 'eu-west-1' } })]),
      }),
    });
    options.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 200, MemorySize: 1769 });
    options.hasResourceProperties('AWS::Budgets::Budget', { Budget: Match.objectLike({ BudgetLimit: { Amount: 250, Unit: 'USD' } }) });
    options.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute' });
    options.hasResourceProperties('AWS::WAFv2::WebACL', { Rules: Match.arrayWith([Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 500 }) } })]) });
    options.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ANALYSIS_UNSIGNED: 'Yes' }) } });
  });

  test('MonthlyBudget=0 means no budget; bad values are refused together', () => {
    expect(parseProductionContext((key) => (key === 'MonthlyBudget' ? '0' : undefined)).monthlyBudget).toBeUndefined();
    const bad: Record<string, string> = { OriginShieldRegion: 'Frankfurt', ImageHandlerConcurrency: '-1', MonthlyBudget: 'lots' };
    expect(() => parseProductionContext((key) => bad[key])).toThrow(/OriginShieldRegion[\s\S]*ImageHandlerConcurrency[\s\S]*MonthlyBudget/);
  });
});

describe('a stack outside us-east-1', () => {
  let platform: SynthesizedPlatform;
  beforeAll(() => {
    platform = synthPlatform({ nag: true, env: { account: '123456789012', region: 'eu-west-1' } });
  });

  test('its web ACL lives in a us-east-1 stack, passed across Regions, with cdk-nag clean', () => {
    expect(platform.violations).toEqual([]);
    const edge = platform.stack.edge!;
    expect(edge.region).toBe('us-east-1');
    expect(Object.keys(Template.fromStack(edge).findResources('AWS::WAFv2::WebACL'))).toHaveLength(1);
    expect(platform.template.findResources('AWS::WAFv2::WebACL')).toEqual({});
    expect(JSON.stringify(platform.template.toJSON().Rules ?? {})).not.toContain('web ACL');
    const distribution = platform.template.findResources('AWS::CloudFront::Distribution');
    const aclRef = JSON.stringify(Object.values(distribution).map((d) => (d as Resource).Properties!.DistributionConfig));
    expect(aclRef).toMatch(/ExportsReader|WebAcl/);
  });
});

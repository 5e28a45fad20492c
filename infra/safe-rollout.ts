/**
 * Safe rollout: every function of the platform is invoked through its `live` alias (see
 * `platform-function.ts`), and CodeDeploy moves that alias to each new version gradually —
 * by default 10% of invocations for 5 minutes, then all — rolling back by itself when one of
 * the alarms it watches fires during the shift:
 *
 * - the alias's own errors, over 1-minute periods, so a bad version is caught inside the canary;
 * - the alarms shutter already emits for what the function serves: the image API's 5xx rate
 *   and p95 latency for the image handler. (Not the workflow failure alarms for the task
 *   functions: they watch the state machine, which invokes the alias whose update waits on the
 *   deployment group, a dependency cycle; a bad task version shows in its alias errors first.)
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge.js';
import { constructId } from './construct-id.js';
import type { PlatformFunction } from './platform-function.js';
import type { Rollout } from './production-config.js';

export interface SafeRolloutProps {
  /** Each function with the platform alarms that should stop its rollout. */
  functions: Record<string, { fn: PlatformFunction; alarms: readonly cloudwatch.IAlarm[] }>;
  /** @default Canary10Percent5Minutes */
  rollout?: Rollout;
  /** Where the alias alarms notify (a rollback is news). */
  topic: sns.ITopic;
}

const CONFIGS: Record<Rollout, codedeploy.ILambdaDeploymentConfig> = {
  Canary10Percent5Minutes: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  Linear10PercentEvery1Minute: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  AllAtOnce: codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
};

export class SafeRollout extends Construct {
  readonly application: codedeploy.LambdaApplication;
  readonly deploymentGroups: Record<string, codedeploy.LambdaDeploymentGroup> = {};

  constructor(scope: Construct, id: string, props: SafeRolloutProps) {
    super(scope, id);
    this.application = new codedeploy.LambdaApplication(this, 'Application');
    const deploymentConfig = CONFIGS[props.rollout ?? 'Canary10Percent5Minutes'];
    // One service role for every group: CodeDeploy attaches its managed policy to it.
    const role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
      description: 'shutter: CodeDeploy shifts the live aliases and reads their alarms',
    });
    acknowledge(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      "CodeDeploy's LambdaDeploymentGroup always attaches this documented service-role policy: it may only shift aliases, read alarms and invoke hooks named CodeDeployHook_*.",
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'AWSCodeDeployRoleForLambdaLimited (AWS managed) names its alias and alarm actions on "*"; it is attached by CDK to every Lambda deployment group.',
    );
    for (const [name, { fn, alarms }] of Object.entries(props.functions)) {
      const errors = new cloudwatch.Alarm(this, `${constructId(name)}AliasErrors`, {
        metric: fn.alias.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `shutter: ${name} (live alias) raised errors; stops and rolls back its deployment`,
      });
      errors.addAlarmAction(new actions.SnsAction(props.topic));
      errors.addOkAction(new actions.SnsAction(props.topic));
      const group = new codedeploy.LambdaDeploymentGroup(this, `${constructId(name)}Deployment`, {
        application: this.application,
        alias: fn.alias,
        deploymentConfig,
        role,
        alarms: [errors, ...alarms],
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      });
      this.deploymentGroups[name] = group;
    }
  }
}

/**
 * A monthly AWS Budgets alarm on the account's cost: an alert to the platform's alarm topic at
 * 80% of the amount actually spent and at 100% forecast, so a runaway month is heard about
 * while it is still a forecast. Budgets publish through the topic's KMS key, so both the topic
 * policy and the key policy let the Budgets service in (and nothing else new).
 */
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface CostGuardsProps {
  /** USD per month. */
  monthlyBudget: number;
  topic: sns.ITopic;
  /** The key that encrypts `topic`. */
  topicKey: kms.IKey;
}

export class CostGuards extends Construct {
  readonly budget: budgets.CfnBudget;

  constructor(scope: Construct, id: string, props: CostGuardsProps) {
    super(scope, id);
    const budgetsService = new iam.ServicePrincipal('budgets.amazonaws.com');
    props.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'BudgetsPublish',
        principals: [budgetsService],
        actions: ['sns:Publish'],
        resources: [props.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    props.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'BudgetsToEncryptedTopic',
        principals: [budgetsService],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
      }),
    );
    const subscribers = [{ subscriptionType: 'SNS', address: props.topic.topicArn }];
    this.budget = new budgets.CfnBudget(this, 'Monthly', {
      budget: {
        budgetName: `${Stack.of(this).stackName}-${Stack.of(this).region}-monthly`,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: props.monthlyBudget, unit: 'USD' },
      },
      notificationsWithSubscribers: [
        {
          notification: { notificationType: 'ACTUAL', comparisonOperator: 'GREATER_THAN', threshold: 80, thresholdType: 'PERCENTAGE' },
          subscribers,
        },
        {
          notification: { notificationType: 'FORECASTED', comparisonOperator: 'GREATER_THAN', threshold: 100, thresholdType: 'PERCENTAGE' },
          subscribers,
        },
      ],
    });
  }
}

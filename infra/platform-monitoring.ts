/**
 * Monitoring: one dashboard and the alarms an operator must hear about — the image API's 5xx
 * rate and latency, workflow executions that failed or timed out, anything in a dead-letter
 * queue, and the event archive falling behind the Kafka topic. Alarms notify an encrypted SNS
 * topic (and an email address, when given).
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { constructId } from './construct-id.js';
import { physicalName } from './physical-name.js';

export interface AlarmThresholds {
  /** Share of API requests answered 5xx over 5 minutes. @default 0.05 (5%) */
  serverErrorRate?: number;
  /** p95 of API latency, in ms: the handler's own timeout is 20 s; 3 s means users are waiting. @default 3000 */
  latencyP95Ms?: number;
  /** Events the archive may lag behind the topic. @default 10000 (minutes of traffic at a few events/s) */
  archiveOffsetLag?: number;
}

export interface PlatformMonitoringProps {
  api: apigateway.RestApi;
  distribution: cloudfront.Distribution;
  imageHandler: lambda.IFunction;
  stateMachines: Readonly<Record<string, sfn.StateMachine>>;
  deadLetterQueues: readonly sqs.IQueue[];
  /** The Kafka consumer whose OffsetLag tells how far behind the archive is. @default no lag alarm */
  archiver?: lambda.IFunction;
  /** Encrypts the alarm topic. */
  topicKey: kms.IKey;
  /** @default no subscription */
  alarmEmail?: string;
  thresholds?: AlarmThresholds;
}

export class PlatformMonitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PlatformMonitoringProps) {
    super(scope, id);
    const thresholds = {
      serverErrorRate: 0.05,
      latencyP95Ms: 3000,
      archiveOffsetLag: 10_000,
      ...props.thresholds,
    };
    this.topic = new sns.Topic(this, 'Alarms', {
      displayName: 'shutter alarms',
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    // CloudWatch publishes to an encrypted topic only if the key lets it.
    props.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const fiveMinutes = Duration.minutes(5);
    const serverErrors = props.api.metricServerError({
      statistic: 'Average',
      period: fiveMinutes,
      label: '5xx rate',
    });
    const latency = props.api.metricLatency({ statistic: 'p95', period: fiveMinutes, label: 'latency p95' });
    this.alarm(
      'ApiServerErrorRate',
      serverErrors,
      thresholds.serverErrorRate,
      `More than ${thresholds.serverErrorRate * 100}% of image requests answered 5xx`,
      3,
    );
    this.alarm(
      'ApiLatencyP95',
      latency,
      thresholds.latencyP95Ms,
      `Image API p95 latency above ${thresholds.latencyP95Ms} ms`,
      3,
    );

    const workflowWidgets: cloudwatch.IWidget[] = [];
    for (const [name, machine] of Object.entries(props.stateMachines)) {
      const failures = new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: machine.metricFailed({ period: fiveMinutes }),
          timedOut: machine.metricTimedOut({ period: fiveMinutes }),
          aborted: machine.metricAborted({ period: fiveMinutes }),
        },
        label: `${name} failures`,
        period: fiveMinutes,
      });
      this.alarm(
        `Workflow${constructId(name)}Failures`,
        failures,
        1,
        `Workflow "${name}" executions failed, timed out or were aborted`,
        1,
      );
      workflowWidgets.push(
        new cloudwatch.GraphWidget({
          title: `Workflow ${name}`,
          left: [
            machine.metricStarted({ period: fiveMinutes }),
            machine.metricSucceeded({ period: fiveMinutes }),
            failures,
          ],
          width: 12,
        }),
      );
    }

    const queueDepths = props.deadLetterQueues.map((queue) =>
      queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: fiveMinutes }),
    );
    props.deadLetterQueues.forEach((queue, index) =>
      this.alarm(
        `DeadLetters${index}`,
        queueDepths[index]!,
        1,
        `Messages in dead-letter queue ${queue.node.path}`,
        1,
      ),
    );

    let lag: cloudwatch.Metric | undefined;
    if (props.archiver) {
      // Lambda's event source mapping reports how far its consumer group is behind the topic.
      lag = new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName: 'OffsetLag',
        dimensionsMap: { FunctionName: props.archiver.functionName },
        statistic: 'Maximum',
        period: fiveMinutes,
        label: 'archive offset lag',
      });
      this.alarm(
        'EventArchiveLag',
        lag,
        thresholds.archiveOffsetLag,
        `The event archive is more than ${thresholds.archiveOffsetLag} events behind Kafka`,
        3,
      );
      // A failing batch is retried, bisected, then written to the archive failures bucket for a
      // replay: any error is worth a look before the batch leaves the lake's reach.
      this.alarm(
        'EventArchiveErrors',
        props.archiver.metricErrors({ statistic: 'Sum', period: fiveMinutes }),
        1,
        'The event archive failed to write a batch to the lake (failed batches land in the archive failures bucket)',
        1,
      );
    }

    const handlerMetric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { FunctionName: props.imageHandler.functionName },
        statistic,
        period: fiveMinutes,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      // Dashboards are account-wide: a second Region needs its own name.
      dashboardName: physicalName(this, { suffix: 'shutter', maxLength: 255 }),
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Image API requests',
        left: [
          props.api.metricCount({ period: fiveMinutes }),
          props.api.metricClientError({ period: fiveMinutes, statistic: 'Sum' }),
        ],
        right: [serverErrors],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Image API latency (ms)',
        left: [latency, props.api.metricIntegrationLatency({ statistic: 'p50', period: fiveMinutes })],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Image handler',
        left: [handlerMetric('Duration', 'p95'), handlerMetric('Duration', 'p50')],
        right: [handlerMetric('ConcurrentExecutions', 'Maximum'), handlerMetric('Throttles', 'Sum')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        // CloudFront's metrics live in us-east-1 whatever the stack's Region.
        title: 'CloudFront',
        left: [props.distribution.metricRequests({ period: fiveMinutes })],
        right: [
          props.distribution.metric5xxErrorRate({ period: fiveMinutes }),
          props.distribution.metric4xxErrorRate({ period: fiveMinutes }),
        ],
        width: 12,
      }),
      ...workflowWidgets,
      new cloudwatch.GraphWidget({ title: 'Dead-letter queues', left: queueDepths, width: 12 }),
      ...(lag ? [new cloudwatch.GraphWidget({ title: 'Event archive lag', left: [lag], width: 12 })] : []),
    );
  }

  private alarm(
    id: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    description: string,
    periods: number,
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `shutter: ${description}`,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}

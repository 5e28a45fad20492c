/**
 * The backfill workflow: runs the image workflow for every object under a prefix, e.g. after
 * a new rendition set is added. Input: `{ "bucket", "prefix", "set" }`.
 *
 * - `distributed` (AWS): a Distributed Map reads the listing itself (S3 ListObjectsV2 item
 *   reader) and starts one image execution per object, thousands at a time.
 * - `inline` (local, and small deployments): a paged listing task and an inline Map per page,
 *   looping until the listing ends; the same per-object step.
 *
 * Either way each object goes through StartImageWorkflow, whose execution names derive from
 * bucket, key and ETag: a backfill run twice starts nothing for objects already processed.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RETRYABLE_ERROR_NAMES } from '../core/errors.js';
import { WORKFLOW } from '../core/limits.js';
import { LAMBDA_SERVICE_ERRORS } from './image-workflow.js';

export const BACKFILL_WORKFLOW_TASKS = ['list-uploads', 'start-image-workflow'] as const;
export type BackfillWorkflowTask = (typeof BACKFILL_WORKFLOW_TASKS)[number];
export type BackfillMode = 'distributed' | 'inline';

export interface BackfillWorkflowProps {
  functions: Record<BackfillWorkflowTask, lambda.IFunction>;
  /** @default 'distributed' */
  mode?: BackfillMode;
  /** Objects started at once. @default 100 in distributed mode, 10 inline */
  maxConcurrency?: number;
  stateMachineProps?: Omit<sfn.StateMachineProps, 'definition' | 'definitionBody'>;
}

export class BackfillWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: BackfillWorkflowProps) {
    super(scope, id);
    const mode = props.mode ?? 'distributed';
    const retry: sfn.RetryProps = {
      errors: [...RETRYABLE_ERROR_NAMES, ...LAMBDA_SERVICE_ERRORS],
      interval: Duration.seconds(WORKFLOW.retry.intervalSeconds),
      maxAttempts: WORKFLOW.retry.maxAttempts,
      backoffRate: WORKFLOW.retry.backoffRate,
      maxDelay: Duration.seconds(WORKFLOW.retry.maxDelaySeconds),
      jitterStrategy: sfn.JitterType.FULL,
    };
    const startOne = new tasks.LambdaInvoke(this, 'StartImageWorkflow', {
      stateName: 'StartImageWorkflow',
      lambdaFunction: props.functions['start-image-workflow'],
      payloadResponseOnly: true,
      // Lambda's own passing faults are in our Retry below, with jitter.
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
    }).addRetry(retry);
    const itemSelector = (keyField: string, etagField: string) => ({
      bucket: sfn.JsonPath.stringAt('$.bucket'),
      key: sfn.JsonPath.stringAt(`$$.Map.Item.Value.${keyField}`),
      etag: sfn.JsonPath.stringAt(`$$.Map.Item.Value.${etagField}`),
      set: sfn.JsonPath.stringAt('$.set'),
    });

    let definition: sfn.IChainable;
    if (mode === 'distributed') {
      definition = new sfn.DistributedMap(this, 'StartEachObject', {
        stateName: 'StartEachObject',
        itemReader: new sfn.S3ObjectsItemReader({ bucketNamePath: sfn.JsonPath.stringAt('$.bucket'), prefix: sfn.JsonPath.stringAt('$.prefix') }),
        itemSelector: itemSelector('Key', 'Etag'),
        maxConcurrency: props.maxConcurrency ?? 100,
        // The per-object results would overflow the state's payload; the executions are the record.
        resultPath: sfn.JsonPath.DISCARD,
      }).itemProcessor(startOne);
    } else {
      const firstPage = new sfn.Pass(this, 'FirstPage', {
        stateName: 'FirstPage',
        parameters: { bucket: sfn.JsonPath.stringAt('$.bucket'), prefix: sfn.JsonPath.stringAt('$.prefix'), set: sfn.JsonPath.stringAt('$.set'), cursor: '' },
      });
      const listPage = new tasks.LambdaInvoke(this, 'ListUploads', {
        stateName: 'ListUploads',
        lambdaFunction: props.functions['list-uploads'],
        payloadResponseOnly: true,
      // Lambda's own passing faults are in our Retry below, with jitter.
      retryOnServiceExceptions: false,
        payload: sfn.TaskInput.fromObject({ bucket: sfn.JsonPath.stringAt('$.bucket'), prefix: sfn.JsonPath.stringAt('$.prefix'), cursor: sfn.JsonPath.stringAt('$.cursor') }),
        resultPath: '$.page',
        taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
      }).addRetry(retry);
      const startPage = new sfn.Map(this, 'StartEachObject', {
        stateName: 'StartEachObject',
        itemsPath: '$.page.objects',
        itemSelector: itemSelector('key', 'etag'),
        maxConcurrency: props.maxConcurrency ?? 10,
        resultPath: sfn.JsonPath.DISCARD,
      }).itemProcessor(startOne);
      const nextPage = new sfn.Pass(this, 'NextPage', {
        stateName: 'NextPage',
        parameters: { bucket: sfn.JsonPath.stringAt('$.bucket'), prefix: sfn.JsonPath.stringAt('$.prefix'), set: sfn.JsonPath.stringAt('$.set'), cursor: sfn.JsonPath.stringAt('$.page.cursor') },
      });
      const hasMore = new sfn.Choice(this, 'HasMorePages', { stateName: 'HasMorePages' })
        .when(sfn.Condition.stringEquals('$.page.cursor', ''), new sfn.Succeed(this, 'Done', { stateName: 'Done' }))
        .otherwise(nextPage.next(listPage));
      definition = firstPage.next(listPage).next(startPage).next(hasMore);
    }
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      ...props.stateMachineProps,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
    });
  }
}

/** Adds the backfill workflow to any CDK scope. */
export function addBackfillWorkflow(scope: Construct, id: string, props: BackfillWorkflowProps): BackfillWorkflow {
  return new BackfillWorkflow(scope, id, props);
}

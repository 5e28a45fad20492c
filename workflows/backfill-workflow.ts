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
 *
 * The bucket comes from the input, so the Distributed Map's reader would need `s3:ListBucket`
 * on every bucket; `listBuckets` narrows that grant to the buckets a backfill may read.
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { TASK_STATES, type TaskParameters } from '../tasks/task-contract.js';
import type { TaskName } from '../tasks/task-names.js';
import { TASK_RETRY } from './image-workflow.js';

export const BACKFILL_WORKFLOW_TASKS = ['list-uploads', 'start-image-workflow'] as const satisfies readonly TaskName[];
export type BackfillWorkflowTask = (typeof BACKFILL_WORKFLOW_TASKS)[number];
export type BackfillMode = 'distributed' | 'inline';

/** The task functions a mode invokes: the Distributed Map lists objects itself. */
export function backfillWorkflowTasks(mode: BackfillMode): BackfillWorkflowTask[] {
  return mode === 'distributed' ? ['start-image-workflow'] : [...BACKFILL_WORKFLOW_TASKS];
}

export interface BackfillWorkflowProps {
  /** The task functions; `list-uploads` only in `inline` mode. */
  functions: { 'start-image-workflow': lambda.IFunction; 'list-uploads'?: lambda.IFunction };
  /** @default 'distributed' */
  mode?: BackfillMode;
  /** Objects started at once. @default 100 in distributed mode, 10 inline */
  maxConcurrency?: number;
  /**
   * Distributed mode: the buckets the state machine may list (`s3:ListBucket`). The definition is
   * the same either way; only the grant changes. @default any bucket
   */
  listBuckets?: readonly s3.IBucket[];
  stateMachineProps?: Omit<sfn.StateMachineProps, 'definition' | 'definitionBody'>;
}

export class BackfillWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: BackfillWorkflowProps) {
    super(scope, id);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      ...props.stateMachineProps,
      definitionBody: sfn.DefinitionBody.fromChainable(backfillWorkflowDefinition(this, props)),
    });
  }
}

/** Adds the backfill workflow to any CDK scope. */
export function addBackfillWorkflow(scope: Construct, id: string, props: BackfillWorkflowProps): BackfillWorkflow {
  return new BackfillWorkflow(scope, id, props);
}

/**
 * The S3 listing reader of the Distributed Map, whose bucket is read from the input, with its
 * `s3:ListBucket` grant limited to `buckets` (CDK's own grants it on "*" for a bucket path).
 */
class ScopedS3ObjectsItemReader implements sfn.IItemReader {
  private readonly reader: sfn.S3ObjectsItemReader;
  readonly resource: string;
  readonly bucketNamePath: string;

  constructor(
    props: { bucketNamePath: string; prefix: string },
    private readonly buckets: readonly s3.IBucket[],
  ) {
    this.reader = new sfn.S3ObjectsItemReader(props);
    this.resource = this.reader.resource;
    this.bucketNamePath = props.bucketNamePath;
  }

  get bucket(): s3.IBucket {
    return this.reader.bucket;
  }

  render(queryLanguage?: sfn.QueryLanguage): unknown {
    return this.reader.render(queryLanguage);
  }

  providePolicyStatements(): iam.PolicyStatement[] {
    return [new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: this.buckets.map((bucket) => bucket.bucketArn) })];
  }

  validateItemReader(): string[] {
    return [
      ...this.reader.validateItemReader(),
      ...(this.buckets.length === 0 ? ['listBuckets: name at least one bucket the backfill may list'] : []),
    ];
  }
}

/** Builds the backfill's states in `scope` and returns the chain's start. */
export function backfillWorkflowDefinition(scope: Construct, props: BackfillWorkflowProps): sfn.IChainable {
  const mode = props.mode ?? 'distributed';
  const retry = TASK_RETRY;
  const startOne = new tasks.LambdaInvoke(scope, TASK_STATES['start-image-workflow'], {
    stateName: TASK_STATES['start-image-workflow'],
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

  if (mode === 'distributed') {
    const listing = { bucketNamePath: sfn.JsonPath.stringAt('$.bucket'), prefix: sfn.JsonPath.stringAt('$.prefix') };
    return new sfn.DistributedMap(scope, 'StartEachObject', {
      stateName: 'StartEachObject',
      itemReader: props.listBuckets ? new ScopedS3ObjectsItemReader(listing, props.listBuckets) : new sfn.S3ObjectsItemReader(listing),
      itemSelector: itemSelector('Key', 'Etag'),
      maxConcurrency: props.maxConcurrency ?? 100,
      // The per-object results would overflow the state's payload; the executions are the record.
      resultPath: sfn.JsonPath.DISCARD,
    }).itemProcessor(startOne);
  }
  const listUploads = props.functions['list-uploads'];
  if (!listUploads) throw new Error('The inline backfill needs the "list-uploads" task function');
  const firstPage = new sfn.Pass(scope, 'FirstPage', {
    stateName: 'FirstPage',
    parameters: { bucket: sfn.JsonPath.stringAt('$.bucket'), prefix: sfn.JsonPath.stringAt('$.prefix'), set: sfn.JsonPath.stringAt('$.set'), cursor: '' },
  });
  const listPage = new tasks.LambdaInvoke(scope, TASK_STATES['list-uploads'], {
    stateName: TASK_STATES['list-uploads'],
    lambdaFunction: listUploads,
    payloadResponseOnly: true,
    // Lambda's own passing faults are in our Retry below, with jitter.
    retryOnServiceExceptions: false,
    payload: sfn.TaskInput.fromObject({
      bucket: sfn.JsonPath.stringAt('$.bucket'),
      prefix: sfn.JsonPath.stringAt('$.prefix'),
      cursor: sfn.JsonPath.stringAt('$.cursor'),
    } satisfies TaskParameters<'list-uploads'>),
    resultPath: '$.page',
    taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
  }).addRetry(retry);
  const startPage = new sfn.Map(scope, 'StartEachObject', {
    stateName: 'StartEachObject',
    itemsPath: '$.page.objects',
    itemSelector: itemSelector('key', 'etag'),
    maxConcurrency: props.maxConcurrency ?? 10,
    resultPath: sfn.JsonPath.DISCARD,
  }).itemProcessor(startOne);
  const nextPage = new sfn.Pass(scope, 'NextPage', {
    stateName: 'NextPage',
    parameters: { bucket: sfn.JsonPath.stringAt('$.bucket'), prefix: sfn.JsonPath.stringAt('$.prefix'), set: sfn.JsonPath.stringAt('$.set'), cursor: sfn.JsonPath.stringAt('$.page.cursor') },
  });
  const hasMore = new sfn.Choice(scope, 'HasMorePages', { stateName: 'HasMorePages' })
    .when(sfn.Condition.stringEquals('$.page.cursor', ''), new sfn.Succeed(scope, 'Done', { stateName: 'Done' }))
    .otherwise(nextPage.next(listPage));
  return firstPage.next(listPage).next(startPage).next(hasMore);
}

/**
 * The image workflow, defined once with CDK: the infra stack deploys it with real Lambdas and
 * the local engine runs the ASL it renders (`renderImageWorkflowAsl`), so what tests prove
 * locally is what runs in AWS.
 *
 * ```
 * Inspect → Moderate → IsFlagged? ─ flagged → NeedsReview? ─ no  → Quarantine → Quarantined
 *                          │                      └─ yes → QuarantineAndAwaitDecision → IsApproved? ─ no → Rejected
 *                          └─ otherwise ──────────────────────────────────────────────────┴─ yes ─┐
 *   ┌─────────────────────────────────────────────────────────────────────────────────────────────┘
 *   └→ SmartCrop → RenderRenditions (Map over presets: RenderRendition) → Publish
 * any task ─Catch→ HandleFailure → Failed
 * ```
 *
 * States pass references (bucket/key) and small results, never image bytes. Every task
 * retries the retryable error names (`RETRYABLE_ERROR_NAMES`) with exponential backoff and full
 * jitter; everything else is caught and sent to the failure path, which publishes
 * `image.workflow.failed` and ends the execution FAILED with the task's error.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RETRYABLE_ERROR_NAMES } from '../core/errors.js';
import { WORKFLOW } from '../core/limits.js';
import { TASK_STATES, type TaskParameters } from '../tasks/task-contract.js';
import type { TaskName } from '../tasks/task-names.js';

/** The task functions of the image workflow, by the name their Lambda (and local function) has. */
export const IMAGE_WORKFLOW_TASKS = ['inspect', 'moderate', 'quarantine', 'smart-crop', 'render-renditions', 'publish', 'handle-failure'] as const satisfies readonly TaskName[];
export type ImageWorkflowTask = (typeof IMAGE_WORKFLOW_TASKS)[number];

/** Errors of the Lambda service itself that pass on their own, retried like ours. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** How every task state retries: our retryable errors and the Lambda service's, backing off with full jitter. */
export const TASK_RETRY: sfn.RetryProps = {
  errors: [...RETRYABLE_ERROR_NAMES, ...LAMBDA_SERVICE_ERRORS],
  interval: Duration.seconds(WORKFLOW.retry.intervalSeconds),
  maxAttempts: WORKFLOW.retry.maxAttempts,
  backoffRate: WORKFLOW.retry.backoffRate,
  maxDelay: Duration.seconds(WORKFLOW.retry.maxDelaySeconds),
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * State names: the contract between the definition, the local engine's history and the console.
 * A state that runs a task is named in the task contract (`TASK_STATES`), which the failure event reports.
 */
export const STATE = {
  inspect: TASK_STATES.inspect,
  moderate: TASK_STATES.moderate,
  isFlagged: 'IsFlagged',
  needsReview: 'NeedsReview',
  quarantine: TASK_STATES.quarantine,
  quarantined: 'Quarantined',
  awaitDecision: 'QuarantineAndAwaitDecision',
  isApproved: 'IsApproved',
  rejected: 'Rejected',
  smartCrop: TASK_STATES['smart-crop'],
  renderRenditions: 'RenderRenditions',
  renderRendition: TASK_STATES['render-renditions'],
  publish: TASK_STATES.publish,
  handleFailure: TASK_STATES['handle-failure'],
  failed: 'Failed',
} as const;

export interface ImageWorkflowProps {
  /** The Lambda function of each task. */
  functions: Record<ImageWorkflowTask, lambda.IFunction>;
  /** Presets rendered at once per image (the Map's MaxConcurrency). @default WORKFLOW.renditionConcurrency */
  renditionConcurrency?: number;
  /** Each task's timeout. @default WORKFLOW.taskTimeoutSeconds */
  taskTimeout?: Duration;
  /** How long a flagged image waits for an operator's decision. @default WORKFLOW.reviewTimeoutSeconds */
  reviewTimeout?: Duration;
  /** Extra state machine properties (logs, tracing, role); the definition is always this one. */
  stateMachineProps?: Omit<sfn.StateMachineProps, 'definition' | 'definitionBody'>;
}

/** The image workflow's construct: its state machine and the definition it runs. */
export class ImageWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly definition: sfn.IChainable;

  constructor(scope: Construct, id: string, props: ImageWorkflowProps) {
    super(scope, id);
    this.definition = imageWorkflowDefinition(this, props);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      ...props.stateMachineProps,
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition),
    });
  }
}

/** Adds the image workflow to any CDK scope (the infra stack, or a throwaway one to render ASL). */
export function addImageWorkflow(scope: Construct, id: string, props: ImageWorkflowProps): ImageWorkflow {
  return new ImageWorkflow(scope, id, props);
}

const executionId = sfn.JsonPath.executionId;
const ids = {
  executionId,
  // When the execution started: the events report the workflow's duration from it.
  startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
  imageId: sfn.JsonPath.stringAt('$.imageId'),
  source: sfn.JsonPath.objectAt('$.source'),
};

/** Builds the states in `scope` and returns the chain's start. */
export function imageWorkflowDefinition(scope: Construct, props: ImageWorkflowProps): sfn.IChainable {
  const taskTimeout = sfn.Timeout.duration(props.taskTimeout ?? Duration.seconds(WORKFLOW.taskTimeoutSeconds));
  const retry = TASK_RETRY;
  // A task's state: named in the contract, its payload typed by the task's input (none: the state's whole input).
  const invoke = <N extends ImageWorkflowTask>(task: N, payload: TaskParameters<N> | undefined, resultPath?: string) => {
    const stateName = TASK_STATES[task];
    return new tasks.LambdaInvoke(scope, stateName, {
      stateName,
      lambdaFunction: props.functions[task],
      // The function's result is the state's result: no { Payload, StatusCode } envelope to unwrap.
      payloadResponseOnly: true,
      // Lambda's own passing faults are in our Retry below, with jitter.
      retryOnServiceExceptions: false,
      // No payload: the state's whole input is the function's event.
      ...(payload ? { payload: sfn.TaskInput.fromObject(payload) } : {}),
      ...(resultPath ? { resultPath } : {}),
      taskTimeout,
    }).addRetry(retry);
  };

  const failed = new sfn.Fail(scope, STATE.failed, { stateName: STATE.failed, errorPath: '$.error.Error', causePath: '$.error.Cause' });
  const handleFailure = invoke('handle-failure', { ...ids, error: sfn.JsonPath.objectAt('$.error') }, '$.failure').next(failed);
  const catchAll = <T extends sfn.TaskStateBase | sfn.Map>(state: T): T => {
    state.addCatch(handleFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    return state;
  };

  const inspect = catchAll(invoke('inspect', { ...ids, set: sfn.JsonPath.stringAt('$.set') }, '$.inspection'));
  const moderate = catchAll(invoke('moderate', ids, '$.moderation'));
  const size = { width: sfn.JsonPath.numberAt('$.inspection.width'), height: sfn.JsonPath.numberAt('$.inspection.height') };
  const smartCrop = catchAll(invoke('smart-crop', { ...ids, size }, '$.focus'));

  // Each item is the whole task input, built by the Map's ItemSelector below.
  const renderRendition = invoke('render-renditions', undefined);
  const renderRenditions = catchAll(
    new sfn.Map(scope, STATE.renderRenditions, {
      stateName: STATE.renderRenditions,
      itemsPath: '$.inspection.renditions',
      maxConcurrency: props.renditionConcurrency ?? WORKFLOW.renditionConcurrency,
      itemSelector: {
        executionId,
        imageId: sfn.JsonPath.stringAt('$.imageId'),
        source: sfn.JsonPath.objectAt('$.source'),
        size,
        focus: sfn.JsonPath.objectAt('$.focus.focus'),
        preset: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
      } satisfies TaskParameters<'render-renditions'>,
      resultPath: '$.renditions',
    }).itemProcessor(renderRendition),
  );
  const publish = catchAll(
    invoke(
      'publish',
      {
        ...ids,
        inspection: sfn.JsonPath.objectAt('$.inspection'),
        moderation: sfn.JsonPath.objectAt('$.moderation'),
        focus: sfn.JsonPath.objectAt('$.focus'),
        renditions: sfn.JsonPath.objectAt('$.renditions'),
      },
      '$.published',
    ),
  );
  const processing = smartCrop.next(renderRenditions).next(publish);

  const quarantine = catchAll(invoke('quarantine', { ...ids, moderation: sfn.JsonPath.objectAt('$.moderation') }, '$.quarantine'));
  const awaitDecision = catchAll(
    new tasks.LambdaInvoke(scope, STATE.awaitDecision, {
      stateName: STATE.awaitDecision,
      lambdaFunction: props.functions.quarantine,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        ...ids,
        moderation: sfn.JsonPath.objectAt('$.moderation'),
        taskToken: sfn.JsonPath.taskToken,
      } satisfies TaskParameters<'quarantine'>),
      // The operator's answer ({ approved, note, by }) joins the moderation result, into the manifest.
      resultPath: '$.moderation.decision',
      taskTimeout: sfn.Timeout.duration(props.reviewTimeout ?? Duration.seconds(WORKFLOW.reviewTimeoutSeconds)),
      retryOnServiceExceptions: false,
    }).addRetry(retry),
  );
  const isApproved = new sfn.Choice(scope, STATE.isApproved, { stateName: STATE.isApproved })
    .when(
      sfn.Condition.and(sfn.Condition.isPresent('$.moderation.decision.approved'), sfn.Condition.booleanEquals('$.moderation.decision.approved', true)),
      processing,
    )
    .otherwise(new sfn.Succeed(scope, STATE.rejected, { stateName: STATE.rejected, comment: 'An operator rejected the flagged image; it stays in quarantine.' }));
  const needsReview = new sfn.Choice(scope, STATE.needsReview, { stateName: STATE.needsReview })
    .when(sfn.Condition.booleanEquals('$.review', true), awaitDecision.next(isApproved))
    .otherwise(quarantine.next(new sfn.Succeed(scope, STATE.quarantined, { stateName: STATE.quarantined, comment: 'Flagged: kept in quarantine, not rendered.' })));
  const isFlagged = new sfn.Choice(scope, STATE.isFlagged, { stateName: STATE.isFlagged })
    .when(sfn.Condition.stringEquals('$.moderation.status', 'flagged'), needsReview)
    .otherwise(processing);

  return inspect.next(moderate).next(isFlagged);
}

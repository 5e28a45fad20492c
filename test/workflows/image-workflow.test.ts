/**
 * The state machines' shape, asserted on the synthesised CloudFormation template (fine-grained,
 * not a snapshot), and the committed ASL the local engine runs checked against a fresh rendering.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RETRYABLE_ERROR_NAMES } from '../../core/errors.js';
import { WORKFLOW } from '../../core/limits.js';
import { BACKFILL_WORKFLOW_ASL } from '../../workflows/asl/backfill-workflow.asl.js';
import { IMAGE_WORKFLOW_ASL } from '../../workflows/asl/image-workflow.asl.js';
import { addBackfillWorkflow, BACKFILL_WORKFLOW_TASKS } from '../../workflows/backfill-workflow.js';
import { addImageWorkflow, IMAGE_WORKFLOW_TASKS, STATE } from '../../workflows/image-workflow.js';
import { placeholderFunctions, synthesizeWorkflow, type SynthesizedWorkflow } from '../../workflows/render-asl.js';

let image: SynthesizedWorkflow;
let template: Template;
beforeAll(() => {
  image = synthesizeWorkflow((stack) => addImageWorkflow(stack, 'ImageWorkflow', { functions: placeholderFunctions(stack, IMAGE_WORKFLOW_TASKS) }).stateMachine);
  template = Template.fromJSON(image.template);
}, 120_000);

const retry = Match.objectLike({
  ErrorEquals: Match.arrayWith([...RETRYABLE_ERROR_NAMES, 'Lambda.TooManyRequestsException']),
  IntervalSeconds: WORKFLOW.retry.intervalSeconds,
  MaxAttempts: WORKFLOW.retry.maxAttempts,
  BackoffRate: WORKFLOW.retry.backoffRate,
  JitterStrategy: 'FULL',
});
const catchToFailure = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATE.handleFailure }];
const task = (functionName: string, extra: Record<string, unknown> = {}) =>
  Match.objectLike({ Type: 'Task', Resource: `arn:aws:lambda:local:000000000000:function:${functionName}`, Retry: [retry], ...extra });

test('the image workflow: Inspect → Moderate → IsFlagged → SmartCrop → RenderRenditions (Map) → Publish, each task retried and caught', () => {
  template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
    StateMachineType: 'STANDARD',
    DefinitionString: Match.serializedJson(
      Match.objectLike({
        StartAt: STATE.inspect,
        States: Match.objectLike({
          [STATE.inspect]: task('inspect', { Next: STATE.moderate, ResultPath: '$.inspection', Catch: catchToFailure, TimeoutSeconds: WORKFLOW.taskTimeoutSeconds }),
          [STATE.moderate]: task('moderate', { Next: STATE.isFlagged, ResultPath: '$.moderation', Catch: catchToFailure }),
          [STATE.isFlagged]: {
            Type: 'Choice',
            Choices: [{ Variable: '$.moderation.status', StringEquals: 'flagged', Next: STATE.needsReview }],
            Default: STATE.smartCrop,
          },
          [STATE.smartCrop]: task('smart-crop', { Next: STATE.renderRenditions, ResultPath: '$.focus', Catch: catchToFailure }),
          [STATE.renderRenditions]: Match.objectLike({
            Type: 'Map',
            ItemsPath: '$.inspection.renditions',
            MaxConcurrency: WORKFLOW.renditionConcurrency,
            ItemSelector: Match.objectLike({ 'preset.$': '$$.Map.Item.Value', 'source.$': '$.source', 'focus.$': '$.focus.focus' }),
            ItemProcessor: Match.objectLike({ StartAt: STATE.renderRendition, States: { [STATE.renderRendition]: task('render-renditions', { End: true }) } }),
            ResultPath: '$.renditions',
            Catch: catchToFailure,
            Next: STATE.publish,
          }),
          [STATE.publish]: task('publish', { End: true, ResultPath: '$.published', Catch: catchToFailure }),
          [STATE.handleFailure]: task('handle-failure', { Next: STATE.failed }),
          [STATE.failed]: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
        }),
      }),
    ),
  });
});

test('the flagged branch: quarantine, or wait for an operator with a task token and continue only when approved', () => {
  template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
    DefinitionString: Match.serializedJson(
      Match.objectLike({
        States: Match.objectLike({
          [STATE.needsReview]: { Type: 'Choice', Choices: [{ Variable: '$.review', BooleanEquals: true, Next: STATE.awaitDecision }], Default: STATE.quarantine },
          [STATE.quarantine]: task('quarantine', { Next: STATE.quarantined, Catch: catchToFailure }),
          [STATE.quarantined]: Match.objectLike({ Type: 'Succeed' }),
          [STATE.awaitDecision]: Match.objectLike({
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: Match.objectLike({ Payload: Match.objectLike({ 'taskToken.$': '$$.Task.Token' }) }),
            TimeoutSeconds: WORKFLOW.reviewTimeoutSeconds,
            ResultPath: '$.moderation.decision',
            Next: STATE.isApproved,
          }),
          [STATE.isApproved]: Match.objectLike({ Type: 'Choice', Default: STATE.rejected }),
        }),
      }),
    ),
  });
});

test('states pass references, never image bytes: every task payload names the source by bucket and key', () => {
  const states = Object.values(image.asl.States as Record<string, { Type: string; Parameters?: Record<string, unknown> }>);
  for (const state of states.filter((candidate) => candidate.Type === 'Task' && candidate.Parameters)) {
    const payload = (state.Parameters!.Payload ?? state.Parameters) as Record<string, unknown>;
    expect(payload['source.$']).toBe('$.source');
  }
});

test('the committed ASL the local engine runs is exactly what CDK renders (run `npm run asl` after changing a definition)', () => {
  expect(IMAGE_WORKFLOW_ASL).toEqual(image.asl);
});

test('the backfill workflow: a Distributed Map over the S3 listing in AWS; an inline, paged Map locally', () => {
  const distributed = synthesizeWorkflow(
    (stack) => addBackfillWorkflow(stack, 'Backfill', { mode: 'distributed', functions: placeholderFunctions(stack, BACKFILL_WORKFLOW_TASKS) }).stateMachine,
  );
  Template.fromJSON(distributed.template).hasResourceProperties('AWS::StepFunctions::StateMachine', {
    DefinitionString: Match.serializedJson(
      Match.objectLike({
        StartAt: 'StartEachObject',
        States: {
          StartEachObject: Match.objectLike({
            Type: 'Map',
            ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { 'Bucket.$': '$.bucket', 'Prefix.$': '$.prefix' } },
            ItemProcessor: Match.objectLike({ ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } }),
          }),
        },
      }),
    ),
  });
  // The per-object results are discarded: thousands would overflow the state's payload.
  expect((distributed.asl.States as Record<string, { ResultPath?: unknown }>).StartEachObject!.ResultPath).toBeNull();
  const inline = synthesizeWorkflow(
    (stack) => addBackfillWorkflow(stack, 'BackfillWorkflow', { mode: 'inline', functions: placeholderFunctions(stack, BACKFILL_WORKFLOW_TASKS) }).stateMachine,
  );
  expect(BACKFILL_WORKFLOW_ASL).toEqual(inline.asl);
  expect(inline.asl).toMatchObject({ StartAt: 'FirstPage', States: { ListUploads: { Next: 'StartEachObject' }, HasMorePages: { Type: 'Choice' } } });
});

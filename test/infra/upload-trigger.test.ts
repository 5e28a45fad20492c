/**
 * The AWS upload trigger delivers the workflow input the local triggers build. An S3 `Object
 * Created` event (the shape of AWS's own example, test/fixtures/events/) matches the deployed
 * EventBridge rule, which invokes the start-image-workflow task with the event as it is; the task
 * turns it into an `ImageWorkflowInput`, named after bucket/key/ETag, that the first state
 * (Inspect) accepts. The function's environment, as synthesized, configures Step Functions with
 * the image state machine, and its role may start only that machine.
 */
import { type CfnResource, Stack } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../core/config.js';
import type { StartResult, WorkflowEngine } from '../../core/ports/workflow-engine.js';
import { InspectInput } from '../../tasks/inspect.js';
import * as startImageWorkflow from '../../tasks/start-image-workflow.js';
import type { TaskDeps } from '../../tasks/task-deps.js';
import { IMAGE_STATE_MACHINE, UPLOAD_TRIGGER_TASK } from '../../infra/workflow-tasks.js';
import { IMAGE_WORKFLOW_ASL } from '../../workflows/asl/image-workflow.asl.js';
import { IMAGE_WORKFLOW, ImageWorkflowInput, imageExecutionName, imageIdOf } from '../../tasks/image-execution.js';
import { synthPlatform, type SynthesizedPlatform } from './synth-platform.js';
import { grantsOf, logicalIdByPath, only, render, resources, type Resource } from './template-queries.js';
import { silentLogger } from '../../core/observability/logger.js';

type ObjectCreated = {
  source: string;
  'detail-type': string;
  detail: { bucket: { name: string }; object: { key: string; etag: string } };
};

const fixture = JSON.parse(
  readFileSync('test/fixtures/events/eventbridge-s3-object-created.json', 'utf8'),
) as ObjectCreated;

let synth: SynthesizedPlatform;
let uploadsId: string;
let machineId: string;
let trigger: Resource;
let triggerId: string;

beforeAll(() => {
  synth = synthPlatform();
  const { template } = synth;
  const stack = Stack.of(synth.stack);
  uploadsId = logicalIdByPath(template, 'AWS::S3::Bucket', 'Storage/Uploads');
  machineId = stack.getLogicalId(
    synth.stack.platform.workflows.stateMachines[IMAGE_STATE_MACHINE]!.node.defaultChild as CfnResource,
  );
  triggerId = logicalIdByPath(template, 'AWS::Lambda::Function', 'Workflows/StartImageWorkflowTask/Function');
  trigger = template.toJSON().Resources[triggerId] as Resource;
}, 120_000);

/** EventBridge's matching for the pattern's shape: every listed field holds one of its values. */
function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.some((value) => value === event);
  if (pattern && typeof pattern === 'object') {
    return Object.entries(pattern).every(([field, sub]) =>
      matches(sub, (event as Record<string, unknown> | undefined)?.[field]),
    );
  }
  return false;
}

/** The event as it arrives from the deployed uploads bucket (its name as CloudFormation resolves it). */
function eventFrom(bucket: string): ObjectCreated {
  return { ...fixture, detail: { ...fixture.detail, bucket: { name: bucket } } };
}

test('the rule matches an Object Created event of the uploads bucket, and only of that bucket', () => {
  const [, rule] = only(synth.template, 'AWS::Events::Rule');
  const pattern = JSON.parse(
    JSON.stringify(rule.Properties!.EventPattern).replace(JSON.stringify({ Ref: uploadsId }), '"shutter-uploads-example"'),
  ) as unknown;
  expect(matches(pattern, eventFrom('shutter-uploads-example'))).toBe(true);
  expect(matches(pattern, eventFrom('someone-elses-bucket'))).toBe(false);
  expect(matches(pattern, { ...eventFrom('shutter-uploads-example'), 'detail-type': 'Object Deleted' })).toBe(false);
});

test('the rule invokes the start-image-workflow task with the whole event, never the state machine directly', () => {
  const [, rule] = only(synth.template, 'AWS::Events::Rule');
  const targets = rule.Properties!.Targets as Array<Record<string, unknown>>;
  expect(targets).toHaveLength(1);
  const [target] = targets;
  // The task's live alias, which CodeDeploy moves (safe-rollout.ts).
  expect(target!.Arn).toEqual({ Ref: logicalIdByPath(synth.template, 'AWS::Lambda::Alias', 'Workflows/StartImageWorkflowTask/Live') });
  // No Input, InputPath or InputTransformer: the task receives EventBridge's event as it is.
  expect(Object.keys(target!).sort()).toEqual(['Arn', 'DeadLetterConfig', 'Id', 'RetryPolicy']);
  expect(target!.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 });
  expect(render((target!.DeadLetterConfig as { Arn: unknown }).Arn)).toMatch(/^<\w*UploadEventDeadLetters\w*\.Arn>$/);
  expect(
    resources(synth.template, 'AWS::Events::Rule').flatMap(([, r]) =>
      (r.Properties!.Targets as Array<{ Arn: unknown }>).map((t) => render(t.Arn)),
    ),
  ).not.toContain(`<${machineId}>`);
});

test('an invocation that still fails after Lambda retries it lands in the same dead-letter queue', () => {
  const [, config] = only(synth.template, 'AWS::Lambda::EventInvokeConfig');
  expect(config.Properties).toMatchObject({
    FunctionName: { Ref: triggerId },
    // The live alias's name, as CloudFormation reads it from the alias ARN.
    Qualifier: { 'Fn::Select': [7, { 'Fn::Split': [':', { Ref: logicalIdByPath(synth.template, 'AWS::Lambda::Alias', 'Workflows/StartImageWorkflowTask/Live') }] }] },
    MaximumRetryAttempts: 2,
    DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/UploadEventDeadLetters/), 'Arn'] } } },
  });
});

test('the task may start the image state machine and describe its executions, nothing else in Step Functions', () => {
  const roleId = logicalIdByPath(synth.template, 'AWS::IAM::Role', 'Workflows/StartImageWorkflowTask/Role');
  const states = grantsOf(synth.template, roleId).filter((grant) => grant.action.startsWith('states:'));
  expect(states).toEqual([
    { action: 'states:StartExecution', resource: `<${machineId}>` },
    {
      action: 'states:DescribeExecution',
      resource: expect.stringMatching(new RegExp(`:execution:<select \\[6,.*${machineId}.*\\]>:\\*$`)),
    },
  ]);
});

test('the synthesized environment configures Step Functions with the image state machine', () => {
  const variables = (trigger.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
  expect(variables.IMAGE_STATE_MACHINE_ARN).toEqual({ Ref: machineId });
  const env = Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      name === 'IMAGE_STATE_MACHINE_ARN'
        ? 'arn:aws:states:eu-west-1:111122223333:stateMachine:Shutter-process'
        : render(value).replace(/<(\w+)>/g, (_, id: string) => id.toLowerCase()),
    ]),
  );
  const config = loadConfig({ ...env, AWS_LAMBDA_FUNCTION_NAME: 'start-image-workflow', AWS_REGION: 'eu-west-1' });
  expect(config.workflow.engine).toBe('stepfunctions');
  expect(config.workflow.stateMachineArns.image).toBe('arn:aws:states:eu-west-1:111122223333:stateMachine:Shutter-process');
  expect(config.workflow.buckets.uploads).toBe(uploadsId.toLowerCase());
});

describe('the event, through the task, becomes the workflow input', () => {
  const started: Array<{ workflow: string; name: string; input: unknown }> = [];
  const engine = {
    start: async (workflow: string, options: { name: string; input: unknown }): Promise<StartResult> => {
      started.push({ workflow, ...options });
      return { executionArn: `arn:aws:states:eu-west-1:111122223333:execution:Shutter-process:${options.name}`, startDate: '2021-11-12T00:00:01.000Z', existing: false };
    },
  } as unknown as WorkflowEngine;
  const storage = {
    head: () => Promise.reject(new Error('the event carries the ETag: no HeadObject needed')),
  };
  const deps = { engine, storage, review: false, log: silentLogger } as unknown as TaskDeps;

  beforeAll(async () => {
    started.length = 0;
    await startImageWorkflow.handler.withDeps(deps)(structuredClone(fixture));
  });

  test('the raw event is not a workflow input (what EventBridge → StartExecution would have passed)', () => {
    expect(ImageWorkflowInput.safeParse(fixture).success).toBe(false);
  });

  test('one execution of the image workflow, named after bucket, key and ETag', () => {
    const { bucket, object } = fixture.detail;
    expect(UPLOAD_TRIGGER_TASK).toBe(startImageWorkflow.handler.task);
    expect(started).toHaveLength(1);
    expect(started[0]!.workflow).toBe(IMAGE_WORKFLOW);
    expect(started[0]!.name).toBe(imageExecutionName(bucket.name, object.key, object.etag));
  });

  test('the input validates against the workflow input schema', () => {
    const { bucket, object } = fixture.detail;
    expect(ImageWorkflowInput.parse(started[0]!.input)).toEqual({
      imageId: imageIdOf(bucket.name, object.key),
      // S3 events send the ETag bare; HeadObject (and the workflow) quote it.
      source: { bucket: bucket.name, key: object.key, etag: `"${object.etag}"` },
      set: 'default',
      review: false,
    });
  });

  test("Inspect, the workflow's first state, accepts what its Parameters select from that input", () => {
    const asl = IMAGE_WORKFLOW_ASL as unknown as {
      StartAt: string;
      States: Record<string, { Parameters: Record<string, string> }>;
    };
    expect(asl.StartAt).toBe('Inspect');
    const context = { Execution: { Id: `arn:aws:states:eu-west-1:111122223333:execution:Shutter-process:${started[0]!.name}`, StartTime: '2021-11-12T00:00:01.000Z' } };
    const select = (path: string): unknown => {
      const [root, ...fields] = path.split('.');
      const from = root === '$$' ? context : started[0]!.input;
      return fields.reduce<unknown>((value, field) => (value as Record<string, unknown>)[field], from);
    };
    const parameters = Object.fromEntries(
      Object.entries(asl.States.Inspect!.Parameters).map(([name, path]) => [name.replace(/\.\$$/, ''), select(path)]),
    );
    expect(Object.keys(parameters).sort()).toEqual(['executionId', 'imageId', 'set', 'source', 'startedAt']);
    expect(InspectInput.safeParse(parameters).success).toBe(true);
  });
});

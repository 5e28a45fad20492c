/**
 * The deployed state machines run the definitions the local engine runs: the DefinitionString of
 * the synthesized stack, with the task functions' live aliases (safe-rollout.ts) replaced by the local ARNs
 * (`arn:aws:lambda:local:000000000000:function:<task>`), equals workflows/asl/image-workflow.asl.ts;
 * the backfill equals what workflows/render-asl.ts renders for its mode (a Distributed Map in AWS),
 * and its per-object step equals the one the local engine runs (workflows/asl/backfill-workflow.asl.ts).
 */
import { Stack, type CfnResource } from 'aws-cdk-lib';
import { BACKFILL_STATE_MACHINE, IMAGE_STATE_MACHINE } from '../../infra/workflow-tasks.js';
import { BACKFILL_WORKFLOW_ASL } from '../../workflows/asl/backfill-workflow.asl.js';
import { backfillWorkflowTasks } from '../../workflows/backfill-workflow.js';
import { IMAGE_WORKFLOW_ASL } from '../../workflows/asl/image-workflow.asl.js';
import { IMAGE_WORKFLOW_TASKS } from '../../workflows/image-workflow.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, renderBackfillWorkflowAsl } from '../../workflows/render-asl.js';
import { grantsOf, identityStatements, logicalIdByPath } from './template-queries.js';
import { synthPlatform, type SynthesizedPlatform } from './synth-platform.js';

type Asl = { StartAt: string; States: Record<string, AslState> };
type AslState = {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: Array<{ Next: string }>;
  Catch?: Array<{ Next: string }>;
  ItemProcessor?: Asl;
  Resource?: string;
  Parameters?: Record<string, unknown>;
};

let synth: SynthesizedPlatform;
let deployed: Asl;
let backfill: Asl;

beforeAll(() => {
  synth = synthPlatform();
  const { workflows } = synth.stack.platform;
  const stack = Stack.of(synth.stack);
  const logicalId = (resource: CfnResource) => stack.getLogicalId(resource);
  // Each task function's logical id → the local ARN the engine binds to that task.
  const localArns = new Map(
    Object.entries(workflows.tasks).map(([name, task]) => [
      logicalId(task.alias.node.defaultChild as CfnResource),
      `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`,
    ]),
  );
  const definitionOf = (name: string): Asl => {
    const machine = workflows.stateMachines[name]!;
    const resource = synth.template.toJSON().Resources[logicalId(machine.node.defaultChild as CfnResource)] as {
      Properties: { DefinitionString: unknown };
    };
    return JSON.parse(renderLocally(resource.Properties.DefinitionString, localArns)) as Asl;
  };
  deployed = definitionOf(IMAGE_STATE_MACHINE);
  backfill = definitionOf(BACKFILL_STATE_MACHINE);
}, 120_000);

/** Fn::Join, Ref of a task's live alias (its ARN) and Ref AWS::Partition, as the local engine sees them. */
function renderLocally(value: unknown, localArns: Map<string, string>): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  if (intrinsic['Fn::Join']) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => renderLocally(part, localArns)).join(separator);
  }
  if (typeof intrinsic.Ref === 'string' && localArns.has(intrinsic.Ref)) return localArns.get(intrinsic.Ref)!;
  if (intrinsic.Ref === 'AWS::Partition') return 'aws';
  throw new Error(`The workflow's definition refers to something other than its tasks: ${JSON.stringify(value)}`);
}

/** Every state's outgoing transitions (Next, Default, Choices, Catch), nested Map states included. */
function transitions(asl: Asl, prefix = ''): string[] {
  return Object.entries(asl.States).flatMap(([name, state]) => [
    ...[state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next), ...(state.Catch ?? []).map((c) => c.Next)]
      .filter((next): next is string => !!next)
      .map((next) => `${prefix}${name} → ${next}`),
    ...(state.End ? [`${prefix}${name} → (end)`] : []),
    ...(state.ItemProcessor ? transitions(state.ItemProcessor, `${prefix}${name}/`) : []),
  ]);
}

test('the deployed state machine has the local ASL’s states and transitions', () => {
  const local = IMAGE_WORKFLOW_ASL as unknown as Asl;
  expect(deployed.StartAt).toBe(local.StartAt);
  expect(Object.keys(deployed.States).sort()).toEqual(Object.keys(local.States).sort());
  expect(transitions(deployed).sort()).toEqual(transitions(local).sort());
});

test('the deployed definition equals the local ASL, state by state (retries, timeouts, parameters)', () => {
  expect(deployed).toEqual(IMAGE_WORKFLOW_ASL);
});

test('every task function of the workflows is deployed, one Lambda per task', () => {
  const { tasks } = synth.stack.platform.workflows;
  expect(Object.keys(tasks).sort()).toEqual([...IMAGE_WORKFLOW_TASKS, ...backfillWorkflowTasks('distributed')].sort());
  const invoked = JSON.stringify(deployed).match(/function:[\w-]+/g) ?? [];
  expect([...new Set(invoked)].sort()).toEqual(IMAGE_WORKFLOW_TASKS.map((task) => `function:${task}`).sort());
});

describe('the backfill', () => {
  test('the deployed definition equals the rendered distributed-mode ASL, state by state', () => {
    expect(backfill).toEqual(renderBackfillWorkflowAsl('distributed'));
    expect(backfill).toMatchObject({
      StartAt: 'StartEachObject',
      States: {
        StartEachObject: {
          Type: 'Map',
          ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { 'Bucket.$': '$.bucket', 'Prefix.$': '$.prefix' } },
          ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
        },
      },
    });
  });

  test('each object goes through the same StartImageWorkflow step the local engine runs', () => {
    const perObject = (asl: Asl) => asl.States.StartEachObject!.ItemProcessor!;
    const local = BACKFILL_WORKFLOW_ASL as unknown as Asl;
    expect(perObject(backfill).StartAt).toBe(perObject(local).StartAt);
    expect(perObject(backfill).States).toEqual(perObject(local).States);
    expect(perObject(backfill).States.StartImageWorkflow!.Resource).toBe(
      `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:start-image-workflow`,
    );
  });

  test('its role lists only the uploads bucket and invokes only the start-image-workflow task', () => {
    const { template } = synth;
    const roleId = logicalIdByPath(template, 'AWS::IAM::Role', 'Workflows/Backfill/Role');
    const grants = grantsOf(template, roleId);
    const uploads = logicalIdByPath(template, 'AWS::S3::Bucket', 'Storage/Uploads');
    expect(grants.filter((grant) => grant.action.startsWith('s3:'))).toEqual([
      { action: 's3:ListBucket', resource: `<${uploads}.Arn>` },
    ]);
    const trigger = logicalIdByPath(template, 'AWS::Lambda::Alias', 'Workflows/StartImageWorkflowTask/Live');
    const invoked = grants.filter((grant) => grant.action === 'lambda:InvokeFunction').map((grant) => grant.resource);
    expect(invoked.length).toBeGreaterThan(0);
    for (const resource of invoked) expect(resource.startsWith(`<${trigger}>`)).toBe(true);
    // Child executions of the Distributed Map: only this state machine's own.
    const machineId = Stack.of(synth.stack).getLogicalId(
      synth.stack.platform.workflows.stateMachines[BACKFILL_STATE_MACHINE]!.node.defaultChild as CfnResource,
    );
    const states = grants.filter((grant) => grant.action.startsWith('states:'));
    expect(states.map((grant) => grant.action).sort()).toEqual(
      ['states:DescribeExecution', 'states:RedriveExecution', 'states:StartExecution', 'states:StopExecution'],
    );
    for (const grant of states) expect(grant.resource).toContain(machineId);
    // No other role may list the uploads bucket through the backfill's grant.
    expect(identityStatements(template).filter(({ statement }) => statement.Resource === '*' && String(statement.Action).includes('s3:'))).toEqual([]);
  });
});

test('Backfill=Inline deploys exactly the definition the local engine runs, with its listing task', () => {
  const inline = synthPlatform({ context: { Backfill: 'Inline', EnableStreaming: 'No' } });
  const { workflows } = inline.stack.platform;
  const stack = Stack.of(inline.stack);
  const localArns = new Map(
    Object.entries(workflows.tasks).map(([name, task]) => [
      stack.getLogicalId(task.alias.node.defaultChild as CfnResource),
      `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`,
    ]),
  );
  const machine = workflows.stateMachines[BACKFILL_STATE_MACHINE]!;
  const resource = inline.template.toJSON().Resources[stack.getLogicalId(machine.node.defaultChild as CfnResource)] as {
    Properties: { DefinitionString: unknown };
  };
  expect(JSON.parse(renderLocally(resource.Properties.DefinitionString, localArns))).toEqual(BACKFILL_WORKFLOW_ASL);
  expect(Object.keys(workflows.tasks)).toEqual(expect.arrayContaining(['list-uploads', 'start-image-workflow']));
  // The listing task reads the uploads bucket only.
  const listRole = logicalIdByPath(inline.template, 'AWS::IAM::Role', 'Workflows/ListUploadsTask/Role');
  const uploads = logicalIdByPath(inline.template, 'AWS::S3::Bucket', 'Storage/Uploads');
  const s3Grants = grantsOf(inline.template, listRole).filter((grant) => grant.action.startsWith('s3:'));
  expect(s3Grants.length).toBeGreaterThan(0);
  for (const grant of s3Grants) expect(grant.resource.startsWith(`<${uploads}.Arn>`)).toBe(true);
}, 120_000);

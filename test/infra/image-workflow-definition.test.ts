/**
 * The deployed image state machine runs the definition the local engine runs: the
 * DefinitionString of the synthesized stack, with the task functions' ARNs replaced by the local
 * ARNs (`arn:aws:lambda:local:000000000000:function:<task>`), equals workflows/asl/image-workflow.asl.ts.
 */
import { Stack, type CfnResource } from 'aws-cdk-lib';
import { IMAGE_STATE_MACHINE } from '../../infra/workflow-tasks.js';
import { IMAGE_WORKFLOW_ASL } from '../../workflows/asl/image-workflow.asl.js';
import { IMAGE_WORKFLOW_TASKS } from '../../workflows/image-workflow.js';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../workflows/render-asl.js';
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

beforeAll(() => {
  synth = synthPlatform();
  const { workflows } = synth.stack.platform;
  const stack = Stack.of(synth.stack);
  const logicalId = (resource: CfnResource) => stack.getLogicalId(resource);
  // Each task function's logical id → the local ARN the engine binds to that task.
  const localArns = new Map(
    Object.entries(workflows.tasks).map(([name, task]) => [
      logicalId(task.function.node.defaultChild as CfnResource),
      `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`,
    ]),
  );
  const machine = workflows.stateMachines[IMAGE_STATE_MACHINE]!;
  const resource = synth.template.toJSON().Resources[logicalId(machine.node.defaultChild as CfnResource)] as {
    Properties: { DefinitionString: unknown };
  };
  deployed = JSON.parse(renderLocally(resource.Properties.DefinitionString, localArns)) as Asl;
}, 120_000);

/** Fn::Join, Fn::GetAtt of a task function's Arn and Ref AWS::Partition, as the local engine sees them. */
function renderLocally(value: unknown, localArns: Map<string, string>): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  if (intrinsic['Fn::Join']) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => renderLocally(part, localArns)).join(separator);
  }
  if (intrinsic['Fn::GetAtt']) {
    const [id, attribute] = intrinsic['Fn::GetAtt'] as [string, string];
    const arn = localArns.get(id);
    if (attribute === 'Arn' && arn) return arn;
  }
  if (intrinsic.Ref === 'AWS::Partition') return 'aws';
  throw new Error(`The image workflow's definition refers to something other than its tasks: ${JSON.stringify(value)}`);
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

test('every task function of the image workflow is deployed, one Lambda per task, bundled as task-<name>', () => {
  const { tasks } = synth.stack.platform.workflows;
  expect(Object.keys(tasks).sort()).toEqual([...IMAGE_WORKFLOW_TASKS].sort());
  const invoked = JSON.stringify(deployed).match(/function:[\w-]+/g) ?? [];
  expect([...new Set(invoked)].sort()).toEqual(IMAGE_WORKFLOW_TASKS.map((task) => `function:${task}`).sort());
});

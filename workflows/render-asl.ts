/**
 * Renders a CDK-defined state machine to the ASL JSON that `cdk synth` puts in the template,
 * with CloudFormation's tokens (`Fn::Join`, `Fn::GetAtt`, `Ref`) resolved to local ARNs, so the
 * local engine runs exactly the definition AWS runs. Task Lambdas become placeholders named
 * after the task: the local engine binds each Task state to the function of that name.
 *
 * Rendering needs aws-cdk-lib (a dev dependency, slow to load); the result is committed under
 * `workflows/asl/` by `npm run asl`, and a test fails when the two drift apart.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { addBackfillWorkflow, BACKFILL_WORKFLOW_TASKS, type BackfillMode } from './backfill-workflow.js';
import { addImageWorkflow, IMAGE_WORKFLOW_TASKS } from './image-workflow.js';

/** The region and account placed in local ARNs. */
export const LOCAL_REGION = 'local';
export const LOCAL_ACCOUNT = '000000000000';

type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };
type Resources = Record<string, { Type: string; Properties?: Record<string, CfnValue> }>;

/** Placeholder Lambdas named after each task (never deployed: only their names matter). */
export function placeholderFunctions<T extends string>(scope: Construct, names: readonly T[]): Record<T, lambda.IFunction> {
  return Object.fromEntries(
    names.map((name) => [
      name,
      new lambda.Function(scope, `Fn-${name}`, {
        functionName: name,
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => { throw new Error("placeholder"); };'),
      }),
    ]),
  ) as unknown as Record<T, lambda.IFunction>;
}

export interface SynthesizedWorkflow {
  /** The ASL, tokens resolved to local ARNs. */
  asl: Record<string, unknown>;
  /** The synthesised template with every state machine's DefinitionString resolved to a plain string (for assertions). */
  template: { Resources: Resources };
}

/** Synthesises `build`'s stack: the state machine's ASL, and the template it sits in. */
export function synthesizeWorkflow(build: (stack: Stack) => sfn.StateMachine): SynthesizedWorkflow {
  const app = new App();
  const stack = new Stack(app, 'AslRender');
  const machine = build(stack);
  const template = structuredClone(app.synth().getStackByName(stack.stackName).template) as { Resources: Resources };
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type === 'AWS::StepFunctions::StateMachine' && resource.Properties?.DefinitionString !== undefined) {
      resource.Properties.DefinitionString = resolveTokens(resource.Properties.DefinitionString, template.Resources);
    }
  }
  const logicalId = stack.getLogicalId(machine.node.defaultChild as never);
  const definition = template.Resources[logicalId]?.Properties?.DefinitionString;
  if (typeof definition !== 'string') throw new Error(`No DefinitionString on ${logicalId}`);
  return { asl: JSON.parse(definition) as Record<string, unknown>, template };
}

/** Synthesises `build`'s stack and returns the ASL of the state machine it returns. */
export function renderAsl(build: (stack: Stack) => sfn.StateMachine): Record<string, unknown> {
  return synthesizeWorkflow(build).asl;
}

/** The image workflow's ASL, as the local engine runs it. */
export function renderImageWorkflowAsl(options: { renditionConcurrency?: number } = {}): Record<string, unknown> {
  return renderAsl((stack) =>
    addImageWorkflow(stack, 'ImageWorkflow', { functions: placeholderFunctions(stack, IMAGE_WORKFLOW_TASKS), ...options }).stateMachine,
  );
}

/** The backfill workflow's ASL: `inline` locally (a paged listing and an inline Map). */
export function renderBackfillWorkflowAsl(mode: BackfillMode = 'inline'): Record<string, unknown> {
  return renderAsl((stack) => addBackfillWorkflow(stack, 'BackfillWorkflow', { mode, functions: placeholderFunctions(stack, BACKFILL_WORKFLOW_TASKS) }).stateMachine);
}

function resolveTokens(value: CfnValue, resources: Resources): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if ('Fn::Join' in value) {
      const [separator, parts] = value['Fn::Join'] as [string, CfnValue[]];
      return parts.map((part) => resolveTokens(part, resources)).join(separator);
    }
    if ('Ref' in value) {
      const pseudo: Record<string, string> = {
        'AWS::Partition': 'aws',
        'AWS::Region': LOCAL_REGION,
        'AWS::AccountId': LOCAL_ACCOUNT,
        'AWS::URLSuffix': 'amazonaws.com',
      };
      const resolved = pseudo[value.Ref as string] ?? physicalName(value.Ref as string, resources);
      if (resolved !== undefined) return resolved;
    }
    if ('Fn::GetAtt' in value) {
      const [logicalId, attribute] = value['Fn::GetAtt'] as [string, string];
      const resolved = attribute === 'Arn' ? arnOf(logicalId, resources) : undefined;
      if (resolved !== undefined) return resolved;
    }
  }
  throw new Error(`Cannot render CloudFormation value locally: ${JSON.stringify(value)}`);
}

function physicalName(logicalId: string, resources: Resources): string | undefined {
  const resource = resources[logicalId];
  if (!resource) return undefined;
  const name = resource.Properties?.FunctionName ?? resource.Properties?.StateMachineName ?? resource.Properties?.BucketName;
  return typeof name === 'string' ? name : logicalId;
}

function arnOf(logicalId: string, resources: Resources): string | undefined {
  const resource = resources[logicalId];
  if (!resource) return undefined;
  const name = physicalName(logicalId, resources)!;
  switch (resource.Type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${name}`;
    default:
      return undefined;
  }
}

/** The source of a generated module holding an ASL definition (what `npm run asl` writes). */
export function aslModuleSource(exportName: string, asl: Record<string, unknown>, origin: string): string {
  return `// Generated by \`npm run asl\` from ${origin}: do not edit. A test fails when this drifts from the CDK definition.
export const ${exportName} = ${JSON.stringify(asl, null, 2)} as const;
`;
}

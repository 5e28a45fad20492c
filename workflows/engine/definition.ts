/**
 * Reading an ASL definition: the interpreter for it (validated once per process), its Task
 * states (Map and Parallel branches included) and the Lambda functions they invoke.
 */
import { createRequire } from 'node:module';
import type * as Interpreter from 'aws-local-stepfunctions';
import type { StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';
import { ConfigError } from '../../core/errors.js';

let loaded: typeof Interpreter | undefined;
/**
 * The ASL interpreter, loaded on first use (synchronously, its CommonJS build): it brings the AWS
 * SDK's Lambda client, ajv and jsonata, ~20 MB resident, which `shutter serve` needs only once an
 * execution runs, not to answer images (issue 19's idle memory).
 */
export const interpreter = (): typeof Interpreter => (loaded ??= createRequire(import.meta.url)('aws-local-stepfunctions') as typeof Interpreter);

/** Step Functions' limit on an execution's input and each state's data. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** Validating a definition compiles JSON schemas (seconds): once per definition per process. */
const VALIDATED = new Map<string, StateMachine>();

/** Validates a definition (once per process) and returns the interpreter for it; throws when invalid. */
export function prepareDefinition(definition: object, options: { validated?: boolean } = {}): StateMachine {
  const validated = options.validated ?? false;
  const key = `${validated ? 'trusted' : 'checked'}:${JSON.stringify(definition)}`;
  let machine = VALIDATED.get(key);
  if (!machine) {
    // ARNs are local placeholders, so their account and region checks are off.
    machine = new (interpreter().StateMachine)(definition as StateMachineDefinition, { validationOptions: { checkArn: false, noValidate: validated } });
    VALIDATED.set(key, machine);
  }
  return machine;
}

/**
 * How a Task state calls Lambda: a function ARN as Resource (payloadResponseOnly), `lambda:invoke`
 * (output wrapped in `{ Payload, StatusCode }`), or `lambda:invoke.waitForTaskToken`.
 */
export type Integration = { kind: 'function'; functionName: string } | { kind: 'invoke' } | { kind: 'waitForTaskToken' };

export function integrationOf(resource: string): Integration {
  if (/^arn:[^:]+:states:::lambda:invoke$/.test(resource)) return { kind: 'invoke' };
  if (/^arn:[^:]+:states:::lambda:invoke\.waitForTaskToken$/.test(resource)) return { kind: 'waitForTaskToken' };
  if (/^arn:[^:]+:lambda:[^:]*:[^:]*:function:/.test(resource)) return { kind: 'function', functionName: functionNameOf(resource) };
  throw new ConfigError([`Task resource ${resource} cannot run locally: only Lambda integrations can.`]);
}

/** `arn:…:function:name[:alias]` or a bare name → the name. */
export function functionNameOf(arnOrName: string): string {
  const match = /:function:([^:]+)/.exec(arnOrName);
  return match ? match[1]! : arnOrName;
}

export interface TaskState {
  stateName: string;
  state: Record<string, unknown>;
}

/** Every Task state of a definition, Map and Parallel branches included. */
export function taskStates(definition: object): TaskState[] {
  const found: TaskState[] = [];
  const visit = (machine: { States?: Record<string, Record<string, unknown>> }) => {
    for (const [stateName, state] of Object.entries(machine.States ?? {})) {
      if (state.Type === 'Task') found.push({ stateName, state });
      const processor = (state.ItemProcessor ?? state.Iterator) as typeof machine | undefined;
      if (processor) visit(processor);
      for (const branch of (state.Branches as (typeof machine)[] | undefined) ?? []) visit(branch);
    }
  };
  visit(definition as { States?: Record<string, Record<string, unknown>> });
  return found;
}

/** The function names a definition's Task states invoke (those given statically). */
export function taskFunctionNames(definition: object): string[] {
  const names = new Set<string>();
  for (const { state } of taskStates(definition)) {
    const integration = integrationOf(String(state.Resource));
    if (integration.kind === 'function') names.add(integration.functionName);
    else {
      const parameters = state.Parameters as Record<string, unknown> | undefined;
      if (typeof parameters?.FunctionName === 'string') names.add(functionNameOf(parameters.FunctionName));
    }
  }
  return [...names];
}

/**
 * The task contract (tasks/task-names.ts, tasks/task-contract.ts) is the one list every place
 * that names a task derives from: the Lambda bundles, the local binding, the infra's access, the
 * state machines and the failure event. Adding a task must not compile until all agree: shown
 * by the `@ts-expect-error` lines below (checked by `tsc`) and by compiling the project with a
 * task name added.
 */
import path from 'node:path';
import ts from 'typescript';
import { workflowTasks } from '../../infra/workflow-tasks.js';
import { lambdaEntries } from '../../scripts/build-lambdas.mjs';
import * as inspect from '../../tasks/inspect.js';
import { TASK_STATES, type TaskParameters } from '../../tasks/task-contract.js';
import { TASK_NAMES } from '../../tasks/task-names.js';
import { withTaskMiddleware } from '../../tasks/with-task-middleware.js';
import { stateOfTask } from '../../tasks/workflow-event.js';
import { BACKFILL_WORKFLOW_ASL } from '../../workflows/asl/backfill-workflow.asl.js';
import { IMAGE_WORKFLOW_ASL } from '../../workflows/asl/image-workflow.asl.js';
import { TASK_HANDLERS, type LocalTaskHandlers } from '../../workflows/local-runtime.js';
import { STATE } from '../../workflows/image-workflow.js';
import { ROOT } from '../helpers/images.js';

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: { FunctionName?: string };
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
}

/** Every Task state of a definition with the function it invokes. */
function taskStates(definition: { States: Record<string, AslState> }): Array<{ state: string; fn: string }> {
  const found: Array<{ state: string; fn: string }> = [];
  for (const [state, body] of Object.entries(definition.States)) {
    if (body.Type === 'Task') {
      const target = body.Parameters?.FunctionName ?? body.Resource ?? '';
      found.push({ state, fn: /function:([^:]+)/.exec(target)?.[1] ?? target });
    }
    const inner = body.ItemProcessor ?? body.Iterator;
    if (inner) found.push(...taskStates(inner));
  }
  return found;
}

test('every task name has its Lambda bundle, its local handler under that name, and its access in the infra', () => {
  const bundles = lambdaEntries()
    .map((entry: { name: string }) => entry.name)
    .filter((name: string) => name.startsWith('task-'))
    .map((name: string) => name.slice('task-'.length));
  expect([...bundles].sort()).toEqual([...TASK_NAMES].sort());
  for (const name of TASK_NAMES) expect(TASK_HANDLERS[name].task).toBe(name);
  const access = workflowTasks({ uploads: {}, renditions: {}, quarantine: {} } as never, { backfill: 'inline' });
  expect(Object.keys(access).sort()).toEqual([...TASK_NAMES].sort());
});

test('the state machines run only named tasks, each in the state the contract names, which the failure event reports', () => {
  const states = [...taskStates(IMAGE_WORKFLOW_ASL as never), ...taskStates(BACKFILL_WORKFLOW_ASL as never)];
  expect(states.length).toBeGreaterThanOrEqual(TASK_NAMES.length);
  for (const { state, fn } of states) {
    expect(TASK_NAMES).toContain(fn);
    // The one state that runs a task under another name: the review wait, reported as its task's state.
    if (state === STATE.awaitDecision) expect(fn).toBe('quarantine');
    else expect(state).toBe(TASK_STATES[fn as keyof typeof TASK_STATES]);
  }
  expect(new Set(states.map(({ fn }) => fn))).toEqual(new Set(TASK_NAMES));
  expect(stateOfTask('smart-crop')).toBe('SmartCrop');
  expect(stateOfTask('render-renditions')).toBe('RenderRendition');
  expect(stateOfTask('not-a-task')).toBe('not-a-task');
});

/** Compiles `roots` with some files replaced by `overrides`; returns the type errors by file (paths from the root). */
function compile(roots: string[], overrides: Record<string, string> = {}, oldProgram?: ts.Program) {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, ...rest) => {
    const text = overrides[path.relative(ROOT, fileName)];
    return text === undefined ? getSourceFile(fileName, language, ...rest) : ts.createSourceFile(fileName, text, language, true);
  };
  const program = ts.createProgram(
    roots.map((root) => path.join(ROOT, root)),
    config.options,
    host,
    oldProgram,
  );
  const errors: Record<string, string[]> = {};
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file ? path.relative(ROOT, diagnostic.file.fileName) : '(program)';
    (errors[file] ??= []).push(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  }
  return { program, errors };
}

test('a task name added to the list does not compile until the contract, the local binding and the infra know it', () => {
  const roots = ['tasks/task-contract.ts', 'workflows/local-runtime.ts', 'infra/workflow-tasks.ts'];
  const before = compile(roots);
  expect(before.errors).toEqual({});

  const names = ts.sys.readFile(path.join(ROOT, 'tasks/task-names.ts'))!;
  const added = names.replace(`'start-image-workflow',\n]`, `'start-image-workflow',\n  'resize',\n]`);
  expect(added).not.toBe(names);
  const { errors } = compile(roots, { 'tasks/task-names.ts': added }, before.program);
  // The places that must learn the new task; what reads the contract generically fails with them.
  expect(Object.keys(errors)).toEqual(expect.arrayContaining(['tasks/task-contract.ts', 'workflows/local-runtime.ts', 'infra/workflow-tasks.ts']));
  for (const file of ['tasks/task-contract.ts', 'workflows/local-runtime.ts', 'infra/workflow-tasks.ts']) {
    expect(errors[file]!.join('\n')).toMatch(/resize/);
  }
  for (const file of Object.keys(errors)) expect(file).toMatch(/^(tasks|workflows|infra)\//);
}, 300_000);

// Compile-time checks: `tsc` fails if any line below compiles (each would be a silent drift).
export function _contractChecks(handlers: LocalTaskHandlers): void {
  const { publish: _publish, ...withoutPublish } = handlers;
  // @ts-expect-error a local binding without one task's handler
  const missing: LocalTaskHandlers = withoutPublish;
  // @ts-expect-error a handler under another task's name
  const swapped: LocalTaskHandlers = { ...handlers, publish: inspect.handler };
  // @ts-expect-error a task that is not in the list
  withTaskMiddleware(inspect.run, { task: 'resize', input: inspect.InspectInput });
  // @ts-expect-error a handler whose input schema is another task's
  withTaskMiddleware(inspect.run, { task: 'moderate', input: inspect.InspectInput });
  // @ts-expect-error a state's payload without a field its task requires (`source`)
  const payload: TaskParameters<'smart-crop'> = { executionId: '$$.Execution.Id', imageId: '$.imageId', size: {} };
  void [missing, swapped, payload];
}

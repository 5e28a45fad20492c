/**
 * Running a Task state: the handler the interpreter calls for each Task state, which invokes the
 * local function the state names and records TaskScheduled/Started/Succeeded/Failed as Step
 * Functions does.
 *
 * Lambda integrations mirror AWS: a state whose Resource is a function ARN (payloadResponseOnly)
 * passes its input and output through; `arn:aws:states:::lambda:invoke` wraps the output in
 * `{ Payload, StatusCode }`. A task's successful result is kept, so a redrive skips the tasks
 * that already succeeded and resumes where the execution failed, as Step Functions' redrive does.
 */
import { createHash } from 'node:crypto';
import type { RunOptions } from 'aws-local-stepfunctions';
import { functionNameOf, integrationOf, MAX_PAYLOAD_BYTES, taskStates } from './definition.js';
import type { Emit } from './history-events.js';
import type { LocalFunction, LocalWorkflow } from './local-workflow.js';
import { assertStillRunning, type RunningExecution } from './running-execution.js';
import type { Slots } from './slots.js';
import type { SqliteExecutionStore } from './sqlite-execution-store.js';
import { TaskError } from './task-error.js';
import type { TaskTokens } from './task-tokens.js';

export type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type JsonValue = Parameters<LocalHandlers[string]>[0];

interface TaskCall {
  stateName: string;
  functionName: string;
  resource: string;
  payload: unknown;
  fn: LocalFunction;
}

export class TaskInvoker {
  constructor(
    private readonly store: SqliteExecutionStore,
    private readonly slots: Slots,
    private readonly tokens: TaskTokens,
  ) {}

  /** One handler per Task state (Map and Parallel branches included), by state name. */
  bind(workflow: LocalWorkflow, running: RunningExecution, emit: Emit, taskToken: string): LocalHandlers {
    const handlers: LocalHandlers = {};
    for (const { stateName, state } of taskStates(workflow.definition)) {
      const resource = String(state.Resource);
      const integration = integrationOf(resource);
      const invoke = (functionName: string, payload: unknown) =>
        this.invoke(running, emit, { stateName, functionName, resource, payload, fn: workflow.functions[functionName]! });
      handlers[stateName] = async (value) => {
        const input = value as Record<string, unknown>;
        if (integration.kind === 'function') return (await invoke(integration.functionName, input)) as JsonValue;
        const functionName = functionNameOf(String(input.FunctionName));
        if (integration.kind === 'invoke') {
          return { ExecutedVersion: '$LATEST', Payload: (await invoke(functionName, input.Payload)) as JsonValue, StatusCode: 200 };
        }
        const payload = input.Payload;
        return (await this.invokeAndWait(running, emit, { stateName, functionName, resource, payload, fn: workflow.functions[functionName]!, taskToken })) as JsonValue;
      };
    }
    return handlers;
  }

  private async invoke(running: RunningExecution, emit: Emit, call: TaskCall): Promise<unknown> {
    // Let the history catch up with the interpreter's own events (StateEntered) first.
    await new Promise((resolve) => setImmediate(resolve));
    assertStillRunning(this.store, running);
    const { row } = running;
    const parameters = JSON.stringify(call.payload ?? null);
    // The interpreter stamps $$.Execution.StartTime anew on each run; it does not change a task's work.
    const { startedAt: _startedAt, ...work } = (call.payload ?? {}) as Record<string, unknown>;
    const inputHash = createHash('sha256').update(JSON.stringify(call.payload && typeof call.payload === 'object' ? work : call.payload ?? null)).digest('hex');
    const resourceDetails = { resourceType: 'lambda', resource: call.functionName };
    emit('TaskScheduled', { taskScheduledEventDetails: { ...resourceDetails, region: 'local', parameters } });
    const remembered = this.store.taskResult(row.seq, call.stateName, inputHash);
    if (remembered !== undefined) {
      // Succeeded in an earlier run of this execution: a redrive does not do it again.
      emit('TaskSucceeded', { taskSucceededEventDetails: { ...resourceDetails, output: remembered, fromEarlierRun: true } });
      return JSON.parse(remembered);
    }
    emit('TaskStarted', { taskStartedEventDetails: resourceDetails });
    const output = await this.call(running, emit, call, resourceDetails);
    const text = JSON.stringify(output ?? null);
    if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
      const cause = `The task's result is over ${MAX_PAYLOAD_BYTES} bytes.`;
      emit('TaskFailed', { taskFailedEventDetails: { ...resourceDetails, error: 'States.DataLimitExceeded', cause } });
      throw new TaskError('States.DataLimitExceeded', cause);
    }
    if (!this.store.db.isOpen) throw new TaskError('States.Runtime', 'The engine has shut down.');
    this.store.saveTaskResult(row.seq, call.stateName, inputHash, text);
    emit('TaskSucceeded', { taskSucceededEventDetails: { ...resourceDetails, output: text } });
    return JSON.parse(text);
  }

  private async call(running: RunningExecution, emit: Emit, call: TaskCall, resourceDetails: Record<string, string>): Promise<unknown> {
    const promise = call.fn(JSON.parse(JSON.stringify(call.payload ?? null)), {
      executionArn: running.row.arn,
      executionName: running.row.name,
      stateName: call.stateName,
      signal: running.controller.signal,
    });
    running.tasks.add(promise);
    try {
      return await promise;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      emit('TaskFailed', { taskFailedEventDetails: { ...resourceDetails, error: name, cause: message } });
      throw new TaskError(name, message);
    } finally {
      running.tasks.delete(promise);
    }
  }

  /** `.waitForTaskToken`: invoke the function with the token, then wait for an operator's answer, holding no slot. */
  private async invokeAndWait(running: RunningExecution, emit: Emit, call: TaskCall & { taskToken: string }): Promise<unknown> {
    await new Promise((resolve) => setImmediate(resolve));
    assertStillRunning(this.store, running);
    const { row } = running;
    const resourceDetails = { resourceType: 'lambda', resource: `${call.functionName}.waitForTaskToken` };
    const parameters = JSON.stringify(call.payload ?? null);
    emit('TaskScheduled', { taskScheduledEventDetails: { ...resourceDetails, region: 'local', parameters } });
    let token = this.tokens.open(call.taskToken, row.seq, call.stateName);
    if (token.status === 'waiting') {
      emit('TaskStarted', { taskStartedEventDetails: resourceDetails });
      await this.call(running, emit, call, resourceDetails);
      emit('TaskSubmitted', { taskSubmittedEventDetails: { ...resourceDetails, output: '{}' } });
      this.slots.park(row.seq);
      try {
        token = await this.tokens.wait(call.taskToken, running.controller.signal);
      } finally {
        await this.slots.unpark(row.seq, running.controller.signal);
      }
    }
    if (token.status === 'failed') {
      emit('TaskFailed', { taskFailedEventDetails: { ...resourceDetails, error: token.error ?? 'States.TaskFailed', cause: token.cause ?? '' } });
      throw new TaskError(token.error ?? 'States.TaskFailed', token.cause ?? '');
    }
    emit('TaskSucceeded', { taskSucceededEventDetails: { ...resourceDetails, output: token.output ?? '{}' } });
    return JSON.parse(token.output ?? '{}');
  }
}

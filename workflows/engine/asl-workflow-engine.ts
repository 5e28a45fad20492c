/**
 * The local WorkflowEngine: runs the very ASL that CDK renders (see `workflows/render-asl.ts`)
 * with `aws-local-stepfunctions`, binding each Task state to a local function by the Lambda
 * function name the state invokes, and keeps every execution in SQLite.
 *
 * - **Queue**: `start` only records a QUEUED execution; at most `concurrency` run at once, taken
 *   in order of arrival. A burst costs one row each, not memory.
 * - **Idempotent by name**: starting a name that exists returns the existing execution.
 * - **History**: the interpreter's events and the engine's task events are stored shaped like
 *   GetExecutionHistory (`TaskStateEntered`, `TaskScheduled`, `TaskSucceeded`, ...).
 * - **Redrive**: a task's successful result is kept, so running an execution again skips the
 *   tasks that already succeeded and resumes where it failed, as Step Functions' redrive does.
 * - **Crash safety**: at start, executions left RUNNING by a process that is gone are redriven
 *   (or failed visibly after `maxRecoveries` restarts, so a poison image cannot loop forever).
 * - **Task tokens**: a `.waitForTaskToken` state waits until `sendTaskSuccess`/`Failure`, from
 *   this process or another one sharing the store. While it waits it holds no slot (a wait costs
 *   nothing in Step Functions either), so executions waiting for an operator never hold up the
 *   queue; once answered it takes a slot again before its next state, ahead of queued executions.
 *   It stays RUNNING in the store meanwhile, so crash recovery treats it as any running one.
 *
 * Lambda integrations mirror AWS: a state whose Resource is a function ARN (payloadResponseOnly)
 * passes its input and output through; `arn:aws:states:::lambda:invoke` wraps the output in
 * `{ Payload, StatusCode }`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type * as Interpreter from 'aws-local-stepfunctions';
import type { RunOptions, StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';

type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type JsonValue = Parameters<LocalHandlers[string]>[0];

let loaded: typeof Interpreter | undefined;
/**
 * The ASL interpreter, loaded on first use (synchronously, its CommonJS build): it brings the AWS
 * SDK's Lambda client, ajv and jsonata, ~20 MB resident, which `shutter serve` needs only once an
 * execution runs, not to answer images (issue 19's idle memory).
 */
const interpreter = (): typeof Interpreter => (loaded ??= createRequire(import.meta.url)('aws-local-stepfunctions') as typeof Interpreter);
import { ConfigError, NotFoundError, RequestError } from '../../core/errors.js';
import { WORKFLOW } from '../../core/limits.js';
import {
  TERMINAL_STATUSES,
  type ExecutionDescription,
  type ExecutionStatus,
  type ExecutionSummary,
  type HistoryEvent,
  type ListOptions,
  type StartResult,
  type WorkflowEngine,
} from '../../core/ports/workflow-engine.js';
import { SqliteExecutionStore, type ExecutionRow } from './sqlite-execution-store.js';

/** A Lambda function run in process: gets the payload, returns the result (JSON-serialisable). */
export type LocalFunction = (payload: unknown, invocation: Invocation) => Promise<unknown>;

export interface Invocation {
  executionArn: string;
  executionName: string;
  stateName: string;
  /** Aborted when the execution is stopped or the engine shuts down. */
  signal: AbortSignal;
}

export interface LocalWorkflow {
  /** The ASL definition, with every CloudFormation token already resolved. */
  definition: object;
  /** Functions by the name the definition's Task states invoke. */
  functions: Record<string, LocalFunction>;
  /**
   * The definition is one of shutter's own, which the tests validate (test/workflows/asl-definitions.test.ts):
   * the engine skips the ASL validator, whose JSON-schema compilation costs ~16 MB of resident memory
   * for the process's life and ~100 ms at start. Any other definition is validated. @default false
   */
  validated?: boolean;
}

export interface AslWorkflowEngineOptions {
  /** The SQLite file (created if missing), or an open store the caller owns. */
  store: string | SqliteExecutionStore;
  workflows: Record<string, LocalWorkflow>;
  /** Executions run at once. */
  concurrency?: number;
  maxRecoveries?: number;
  /** Milliseconds to wait before each retry, by state name, instead of the definition's backoff (tests). */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /** How often to look for work queued by another process and for tokens settled elsewhere. */
  pollMs?: number;
  /** Begin running queued executions at once (default); `false` waits for `resume()`. */
  autoStart?: boolean;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
/** Step Functions' limit on an execution's input and each state's data. */
const MAX_PAYLOAD_BYTES = 256 * 1024;
const REDRIVABLE: readonly ExecutionStatus[] = ['FAILED', 'ABORTED', 'TIMED_OUT'];

/** Engines alive in this process, so an owner in our own pid can be told alive from dead. */
const LIVE_ENGINES = new Set<string>();

interface Running {
  row: ExecutionRow;
  controller: AbortController;
  abort?: () => void;
  done: Promise<void>;
  tasks: Set<Promise<unknown>>;
}

/** What crosses from a task into the interpreter: a name Retry/Catch match and a message, as a Lambda error. */
class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface ExecutionSettled {
  executionArn: string;
  name: string;
  workflow: string;
  status: ExecutionStatus;
}

export class AslWorkflowEngine implements WorkflowEngine {
  readonly store: SqliteExecutionStore;
  /** Emits `settled` ({@link ExecutionSettled}) whenever an execution ends in this process. */
  readonly events = new EventEmitter();
  private readonly ownsStore: boolean;
  private readonly owner: string;
  private readonly machines = new Map<string, { machine?: StateMachine; workflow: LocalWorkflow }>();
  private readonly running = new Map<number, Running>();
  private readonly tokenWaiters = new Map<string, () => void>();
  /** Running executions waiting for a task token: they hold no slot. */
  private readonly parked = new Set<number>();
  /** Answered executions waiting for a slot to go on, first come first served. */
  private readonly resumers: Array<() => void> = [];
  private readonly concurrency: number;
  private readonly maxRecoveries: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private paused: boolean;
  private closing = false;

  constructor(private readonly options: AslWorkflowEngineOptions) {
    this.ownsStore = typeof options.store === 'string';
    this.store = typeof options.store === 'string' ? new SqliteExecutionStore(options.store) : options.store;
    this.concurrency = options.concurrency ?? WORKFLOW.concurrency;
    this.maxRecoveries = options.maxRecoveries ?? WORKFLOW.maxRecoveries;
    this.owner = `${process.pid}:${randomUUID()}`;
    LIVE_ENGINES.add(this.owner.split(':')[1]!);
    const problems: string[] = [];
    for (const [name, workflow] of Object.entries(options.workflows)) {
      for (const missing of taskFunctionNames(workflow.definition).filter((fn) => !workflow.functions[fn])) {
        problems.push(`workflow ${name}: no local function "${missing}" for a Task state`);
      }
      // A definition the tests validate is interpreted on its first execution; any other is checked now.
      this.machines.set(name, workflow.validated ? { workflow } : { machine: prepareDefinition(workflow.definition), workflow });
    }
    if (problems.length) throw new ConfigError(problems);
    this.paused = options.autoStart === false;
    const pollMs = options.pollMs ?? 1000;
    this.timers.push(setInterval(() => this.pump(), pollMs).unref());
    this.timers.push(setInterval(() => this.recover(), 60_000).unref());
    this.recover();
    this.pump();
  }

  /** Starts running queued executions (when created with `autoStart: false`). */
  resume(): void {
    this.paused = false;
    this.pump();
  }

  executionArn(workflow: string, name: string): string {
    return `arn:aws:states:local:000000000000:execution:${workflow}:${name}`;
  }

  async start(workflow: string, options: { name: string; input: unknown }): Promise<StartResult> {
    if (!this.machines.has(workflow)) throw new NotFoundError('StateMachineDoesNotExist', `There is no workflow named "${workflow}".`);
    if (!NAME.test(options.name)) {
      throw new RequestError('InvalidName', `"${options.name}" is not a valid execution name: 1 to 80 of A-Z, a-z, 0-9, "-" and "_".`);
    }
    const input = JSON.stringify(options.input ?? {});
    if (Buffer.byteLength(input) > MAX_PAYLOAD_BYTES) {
      throw new RequestError('States.DataLimitExceeded', `The execution input is over ${MAX_PAYLOAD_BYTES} bytes: pass references, not data.`, 413);
    }
    const executionArn = this.executionArn(workflow, options.name);
    const now = Date.now();
    const created = this.store.insert({ arn: executionArn, name: options.name, workflow, input, start_ms: now });
    const row = this.store.get(executionArn)!;
    if (created) this.pump();
    return { executionArn, startDate: new Date(row.start_ms).toISOString(), existing: !created };
  }

  async describe(executionArn: string): Promise<ExecutionDescription> {
    return describeRow(this.row(executionArn));
  }

  async list(options: ListOptions = {}): Promise<{ executions: ExecutionSummary[]; cursor?: string }> {
    const limit = Math.min(Math.max(1, options.limit ?? 100), WORKFLOW.maxListLimit);
    const rows = this.store.list({
      ...(options.workflow ? { workflow: options.workflow } : {}),
      ...(options.status ? { status: options.status } : {}),
      ...(options.prefix ? { prefix: options.prefix } : {}),
      limit: limit + 1,
      ...(options.cursor ? { afterSeq: Number(options.cursor) } : {}),
    });
    const page = rows.slice(0, limit);
    return { executions: page.map(summarize), ...(rows.length > limit ? { cursor: String(page[page.length - 1]!.seq) } : {}) };
  }

  async history(
    executionArn: string,
    options: { limit?: number; cursor?: string; reverse?: boolean } = {},
  ): Promise<{ events: HistoryEvent[]; cursor?: string }> {
    const row = this.row(executionArn);
    const limit = Math.min(Math.max(1, options.limit ?? 1000), 1000);
    const rows = this.store.events(row.seq, { afterId: Number(options.cursor ?? 0), limit: limit + 1, reverse: !!options.reverse });
    const page = rows.slice(0, limit);
    const events = page.map((event) => {
      const base = { id: event.id, previousEventId: event.previous_id, timestamp: new Date(event.ts).toISOString(), type: event.type };
      return (event.details ? { ...base, ...JSON.parse(event.details) } : base) as HistoryEvent;
    });
    return { events, ...(rows.length > limit ? { cursor: String(page[page.length - 1]!.id) } : {}) };
  }

  async redrive(executionArn: string): Promise<{ redriveDate: string }> {
    const row = this.row(executionArn);
    if (!this.store.redrive(row.seq, REDRIVABLE)) {
      throw new RequestError('ExecutionNotRedrivable', `The execution is ${row.status}: only FAILED, ABORTED or TIMED_OUT executions can be redriven.`, 409);
    }
    this.pump();
    return { redriveDate: new Date().toISOString() };
  }

  async stop(executionArn: string, options: { error?: string; cause?: string } = {}): Promise<{ stopDate: string }> {
    const row = this.row(executionArn);
    const now = Date.now();
    if (!this.store.stop(row.seq, options.error ?? null, options.cause ?? null, now)) {
      throw new RequestError('ExecutionNotRunning', `The execution is ${row.status}: only QUEUED or RUNNING executions can be stopped.`, 409);
    }
    const running = this.running.get(row.seq);
    if (running) {
      running.controller.abort();
      running.abort?.();
    } else if (row.status === 'QUEUED') {
      this.appendEvent(row.seq, this.store.lastEventId(row.seq) + 1, 'ExecutionAborted', {
        executionAbortedEventDetails: { error: options.error, cause: options.cause },
      });
      this.events.emit('settled', { executionArn, name: row.name, workflow: row.workflow, status: 'ABORTED' } satisfies ExecutionSettled);
    }
    // Running in another process: that process sees the status before its next task and stops.
    return { stopDate: new Date(now).toISOString() };
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    this.settle(taskToken, { status: 'succeeded', output: JSON.stringify(output ?? {}) });
  }

  async sendTaskFailure(taskToken: string, options: { error: string; cause?: string }): Promise<void> {
    this.settle(taskToken, { status: 'failed', error: options.error, ...(options.cause ? { cause: options.cause } : {}) });
  }

  /** Resolves once the execution has ended (in this process or another sharing the store). */
  async settled(executionArn: string, options: { signal?: AbortSignal } = {}): Promise<ExecutionDescription> {
    for (;;) {
      // Listen before looking, so an end between the two is not missed.
      let cleanup = () => {};
      const next = new Promise<void>((resolve, reject) => {
        const onSettled = (event: ExecutionSettled) => {
          if (event.executionArn === executionArn) finish();
        };
        const onAbort = () => {
          cleanup();
          reject(options.signal!.reason);
        };
        const finish = () => {
          cleanup();
          resolve();
        };
        // Another process may end it: look again now and then.
        const timer = setTimeout(finish, 500);
        cleanup = () => {
          clearTimeout(timer);
          this.events.off('settled', onSettled);
          options.signal?.removeEventListener('abort', onAbort);
        };
        this.events.on('settled', onSettled);
        options.signal?.addEventListener('abort', onAbort);
      });
      const description = await this.describe(executionArn);
      if (TERMINAL_STATUSES.includes(description.status)) {
        cleanup();
        return description;
      }
      await next;
    }
  }

  /** Executions by status, for progress reports. */
  counts(): Record<string, number> {
    return this.store.counts();
  }

  /** Stops taking work; running executions go back to the queue and resume on the next start. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const timer of this.timers) clearInterval(timer);
    const running = [...this.running.values()];
    for (const execution of running) {
      this.store.requeue(execution.row.seq);
      execution.controller.abort();
      execution.abort?.();
    }
    await Promise.allSettled(running.map((execution) => execution.done));
    await Promise.allSettled(running.flatMap((execution) => [...execution.tasks]));
    LIVE_ENGINES.delete(this.owner.split(':')[1]!);
    if (this.ownsStore) this.store.close();
  }

  private row(executionArn: string): ExecutionRow {
    const row = this.store.get(executionArn);
    if (!row) throw new NotFoundError('ExecutionDoesNotExist', `Execution does not exist: ${executionArn}`);
    return row;
  }

  private settle(token: string, fields: { status: 'succeeded' | 'failed'; output?: string; error?: string; cause?: string }): void {
    if (!this.store.settleToken(token, fields)) {
      throw new NotFoundError('TaskDoesNotExist', 'No task is waiting for this token (unknown, or decided already).');
    }
    this.tokenWaiters.get(token)?.();
  }

  /** Redrives executions whose process is gone, or fails them after too many restarts. */
  private recover(): void {
    if (this.closing) return;
    for (const orphan of this.store.orphans((owner) => isOwnerAlive(owner))) {
      if (orphan.recoveries >= this.maxRecoveries) {
        const cause = `The process running this execution stopped ${orphan.recoveries + 1} times; it is not retried again.`;
        this.store.finish(orphan.seq, 'FAILED', { error: 'Shutter.ProcessCrashed', cause }, Date.now());
        this.appendEvent(orphan.seq, this.store.lastEventId(orphan.seq) + 1, 'ExecutionFailed', {
          executionFailedEventDetails: { error: 'Shutter.ProcessCrashed', cause },
        });
      } else {
        this.store.recoverOrphan(orphan.seq);
      }
    }
  }

  /** Executions holding a slot: running, and not parked on a task token. */
  private active(): number {
    return this.running.size - this.parked.size;
  }

  private pump(): void {
    if (this.closing) return;
    // An answered execution goes on before a queued one starts: it was admitted first.
    while (this.resumers.length && this.active() < this.concurrency) this.resumers.shift()!();
    if (this.paused) return;
    while (this.active() < this.concurrency) {
      const row = this.store.nextQueued();
      if (!row) return;
      if (!this.store.claim(row.seq, this.owner, Date.now())) continue; // another process took it
      const claimed: ExecutionRow = { ...row, status: 'RUNNING' };
      const running: Running = { row: claimed, controller: new AbortController(), done: Promise.resolve(), tasks: new Set() };
      this.running.set(row.seq, running);
      running.done = this.run(running)
        .catch((error: unknown) => {
          // A fault of the engine itself (not of a task): the execution fails visibly.
          this.store.finish(row.seq, 'FAILED', { error: 'States.Runtime', cause: String(error) }, Date.now());
        })
        .finally(() => {
          this.running.delete(row.seq);
          this.parked.delete(row.seq);
          const after = this.store.db.isOpen ? this.store.get(row.arn) : undefined;
          if (after && TERMINAL_STATUSES.includes(after.status)) {
            this.events.emit('settled', { executionArn: row.arn, name: row.name, workflow: row.workflow, status: after.status } satisfies ExecutionSettled);
          }
          this.pump();
        });
    }
  }

  private appendEvent(seq: number, id: number, type: string, details?: Record<string, unknown>): void {
    if (!this.store.db.isOpen) return;
    this.store.appendEvent(seq, { id, previous_id: id - 1, ts: Date.now(), type, details: details ? JSON.stringify(details) : null });
  }

  private async run(running: Running): Promise<void> {
    const { row } = running;
    const entry = this.machines.get(row.workflow);
    if (!entry) {
      this.store.finish(row.seq, 'FAILED', { error: 'States.Runtime', cause: `There is no workflow named "${row.workflow}" here.` }, Date.now());
      return;
    }
    let lastId = this.store.lastEventId(row.seq);
    const redriven = lastId > 0;
    const emit = (type: string, details?: Record<string, unknown>) => {
      lastId++;
      this.appendEvent(row.seq, lastId, type, details);
    };
    const taskToken = createHash('sha256').update(`${row.arn}|task-token`).digest('hex');
    entry.machine ??= prepareDefinition(entry.workflow.definition, { validated: entry.workflow.validated ?? false });
    const execution = entry.machine.run(JSON.parse(row.input), {
      overrides: {
        taskResourceLocalHandlers: this.bindTasks(entry.workflow, running, emit, taskToken),
        ...(this.options.retryIntervalOverrides ? { retryIntervalOverrides: this.options.retryIntervalOverrides } : {}),
      },
      context: {
        Execution: { Id: row.arn, Name: row.name, StartTime: new Date(row.start_ms).toISOString(), RedriveCount: row.redrive_count },
        StateMachine: { Id: row.arn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, ''), Name: row.workflow },
        Task: { Token: taskToken },
      },
    });
    running.abort = execution.abort;
    if (running.controller.signal.aborted) execution.abort();
    const recording = (async () => {
      for await (const event of execution.eventLogs) {
        if (this.closing && event.type === 'ExecutionAborted') continue;
        const translated = translateEvent(event, { redriven, redriveCount: row.redrive_count, input: row.input });
        if (translated) emit(translated.type, translated.details);
      }
    })();
    let outcome: { status: ExecutionStatus; output?: string; error?: string; cause?: string };
    try {
      const output = await execution.result;
      outcome = { status: 'SUCCEEDED', output: JSON.stringify(output ?? null) };
    } catch (error) {
      const { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError } = interpreter();
      if (error instanceof ExecutionAbortedError) outcome = { status: 'ABORTED' };
      else if (error instanceof ExecutionTimeoutError) outcome = { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution ran past its TimeoutSeconds.' };
      else if (error instanceof ExecutionError) {
        const cause = error.cause as Error | undefined;
        outcome = { status: 'FAILED', error: cause?.name ?? 'States.Runtime', cause: cause?.message ?? error.message };
      } else outcome = { status: 'FAILED', error: 'States.Runtime', cause: String(error) };
    }
    // The interpreter closes its log when the execution ends; wait for the last events so a
    // finished status always comes with its whole history.
    await Promise.race([recording, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    if (this.closing || !this.store.db.isOpen) return; // requeued by close()
    if (outcome.status === 'ABORTED') return; // stop() has recorded it already
    this.store.finish(row.seq, outcome.status, outcome, Date.now());
  }

  /** One handler per Task state (Map and Parallel branches included), by state name. */
  private bindTasks(
    workflow: LocalWorkflow,
    running: Running,
    emit: (type: string, details?: Record<string, unknown>) => void,
    taskToken: string,
  ): LocalHandlers {
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

  private async invoke(
    running: Running,
    emit: (type: string, details?: Record<string, unknown>) => void,
    call: { stateName: string; functionName: string; resource: string; payload: unknown; fn: LocalFunction },
  ): Promise<unknown> {
    // Let the history catch up with the interpreter's own events (StateEntered) first.
    await new Promise((resolve) => setImmediate(resolve));
    this.assertStillRunning(running);
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

  private async call(
    running: Running,
    emit: (type: string, details?: Record<string, unknown>) => void,
    call: { stateName: string; payload: unknown; fn: LocalFunction },
    resourceDetails: Record<string, string>,
  ): Promise<unknown> {
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

  /** `.waitForTaskToken`: invoke the function with the token, then wait for an operator's answer. */
  private async invokeAndWait(
    running: Running,
    emit: (type: string, details?: Record<string, unknown>) => void,
    call: { stateName: string; functionName: string; resource: string; payload: unknown; fn: LocalFunction; taskToken: string },
  ): Promise<unknown> {
    await new Promise((resolve) => setImmediate(resolve));
    this.assertStillRunning(running);
    const { row } = running;
    const resourceDetails = { resourceType: 'lambda', resource: `${call.functionName}.waitForTaskToken` };
    const parameters = JSON.stringify(call.payload ?? null);
    emit('TaskScheduled', { taskScheduledEventDetails: { ...resourceDetails, region: 'local', parameters } });
    let token = this.store.openToken(call.taskToken, row.seq, call.stateName);
    if (token.status === 'failed') {
      this.store.reopenToken(call.taskToken); // a redrive asks the operator again
      token = { ...token, status: 'waiting' };
    }
    if (token.status === 'waiting') {
      emit('TaskStarted', { taskStartedEventDetails: resourceDetails });
      await this.call(running, emit, call, resourceDetails);
      emit('TaskSubmitted', { taskSubmittedEventDetails: { ...resourceDetails, output: '{}' } });
      this.park(running);
      try {
        token = await this.waitForToken(call.taskToken, running.controller.signal);
      } finally {
        await this.unpark(running);
      }
    }
    if (token.status === 'failed') {
      emit('TaskFailed', { taskFailedEventDetails: { ...resourceDetails, error: token.error ?? 'States.TaskFailed', cause: token.cause ?? '' } });
      throw new TaskError(token.error ?? 'States.TaskFailed', token.cause ?? '');
    }
    emit('TaskSucceeded', { taskSucceededEventDetails: { ...resourceDetails, output: token.output ?? '{}' } });
    return JSON.parse(token.output ?? '{}');
  }

  /** Gives up the slot of an execution that waits for an operator, and lets a queued one have it. */
  private park(running: Running): void {
    this.parked.add(running.row.seq);
    this.pump();
  }

  /** Takes a slot again: at once when one is free, else as the next to be freed. A stopped execution ends without one. */
  private async unpark(running: Running): Promise<void> {
    const { seq } = running.row;
    const { signal } = running.controller;
    if (signal.aborted || this.active() < this.concurrency) {
      this.parked.delete(seq);
      return;
    }
    await new Promise<void>((resolve) => {
      const grant = () => {
        signal.removeEventListener('abort', grant);
        const waiting = this.resumers.indexOf(grant);
        if (waiting !== -1) this.resumers.splice(waiting, 1);
        this.parked.delete(seq);
        resolve();
      };
      this.resumers.push(grant);
      signal.addEventListener('abort', grant);
    });
  }

  private async waitForToken(token: string, signal: AbortSignal) {
    const pollMs = this.options.pollMs ?? 1000;
    for (;;) {
      const row = this.store.token(token);
      if (!row) throw new TaskError('States.Runtime', 'The task token has vanished.');
      if (row.status !== 'waiting') return row;
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, pollMs);
        function finish() {
          clearTimeout(timer);
          signal.removeEventListener('abort', finish);
          resolve();
        }
        this.tokenWaiters.set(token, finish);
        signal.addEventListener('abort', finish);
      });
      this.tokenWaiters.delete(token);
    }
  }

  private assertStillRunning(running: Running): void {
    running.controller.signal.throwIfAborted();
    const current = this.store.db.isOpen ? this.store.get(running.row.arn) : undefined;
    if (current?.status !== 'RUNNING') {
      // Stopped from another process: end here, before doing more work.
      running.controller.abort();
      running.abort?.();
      throw new TaskError('States.Runtime', 'The execution was stopped.');
    }
  }
}

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

function summarize(row: ExecutionRow): ExecutionSummary {
  return {
    executionArn: row.arn,
    name: row.name,
    workflow: row.workflow,
    status: row.status,
    startDate: new Date(row.start_ms).toISOString(),
    ...(row.stop_ms ? { stopDate: new Date(row.stop_ms).toISOString() } : {}),
    redriveCount: row.redrive_count,
  };
}

function describeRow(row: ExecutionRow): ExecutionDescription {
  return {
    ...summarize(row),
    input: JSON.parse(row.input),
    ...(row.output !== null ? { output: JSON.parse(row.output) } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.cause !== null ? { cause: row.cause } : {}),
  };
}

function isOwnerAlive(owner: string): boolean {
  const [pidText, instance] = owner.split(':');
  const pid = Number(pidText);
  if (pid === process.pid) return LIVE_ENGINES.has(instance ?? '');
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

type Integration = { kind: 'function'; functionName: string } | { kind: 'invoke' } | { kind: 'waitForTaskToken' };

function integrationOf(resource: string): Integration {
  if (/^arn:[^:]+:states:::lambda:invoke$/.test(resource)) return { kind: 'invoke' };
  if (/^arn:[^:]+:states:::lambda:invoke\.waitForTaskToken$/.test(resource)) return { kind: 'waitForTaskToken' };
  if (/^arn:[^:]+:lambda:[^:]*:[^:]*:function:/.test(resource)) return { kind: 'function', functionName: functionNameOf(resource) };
  throw new ConfigError([`Task resource ${resource} cannot run locally: only Lambda integrations can.`]);
}

/** `arn:…:function:name[:alias]` or a bare name → the name. */
function functionNameOf(arnOrName: string): string {
  const match = /:function:([^:]+)/.exec(arnOrName);
  return match ? match[1]! : arnOrName;
}

interface TaskState {
  stateName: string;
  state: Record<string, unknown>;
}

/** Every Task state of a definition, Map and Parallel branches included. */
function taskStates(definition: object): TaskState[] {
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
function taskFunctionNames(definition: object): string[] {
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

interface LibEvent {
  type: string;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string };
  index?: number;
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}

/** The interpreter's events as Step Functions names them; task events come from the engine itself. */
function translateEvent(
  event: LibEvent,
  context: { redriven: boolean; redriveCount: number; input: string },
): { type: string; details?: Record<string, unknown> } | undefined {
  const json = (value: unknown) => JSON.stringify(value ?? null);
  const cause = (value: unknown) => (value instanceof Error ? value.message : typeof value === 'string' ? value : json(value));
  switch (event.type) {
    case 'ExecutionStarted':
      return context.redriven
        ? { type: 'ExecutionRedriven', details: { executionRedrivenEventDetails: { redriveCount: context.redriveCount } } }
        : { type: 'ExecutionStarted', details: { executionStartedEventDetails: { input: context.input, inputDetails: { truncated: false } } } };
    case 'ExecutionSucceeded':
      return { type: 'ExecutionSucceeded', details: { executionSucceededEventDetails: { output: json(event.output) } } };
    case 'ExecutionFailed':
      return { type: 'ExecutionFailed', details: { executionFailedEventDetails: { error: event.Error, cause: cause(event.Cause) } } };
    case 'ExecutionAborted':
      return { type: 'ExecutionAborted', details: { executionAbortedEventDetails: {} } };
    case 'ExecutionTimeout':
      return { type: 'ExecutionTimedOut', details: { executionTimedOutEventDetails: { error: 'States.Timeout' } } };
    case 'StateEntered':
      return { type: `${event.state!.type}StateEntered`, details: { stateEnteredEventDetails: { name: event.state!.name, input: json(event.state!.input) } } };
    case 'StateExited':
      return { type: `${event.state!.type}StateExited`, details: { stateExitedEventDetails: { name: event.state!.name, output: json(event.state!.output) } } };
    case 'StateFailed':
      // Task failures are recorded by the engine as TaskFailed; only what it cannot see is added.
      if (event.state!.type === 'Task' && event.Error === 'States.Timeout') {
        return { type: 'TaskTimedOut', details: { taskTimedOutEventDetails: { error: event.Error, cause: cause(event.Cause) } } };
      }
      if (event.state!.type === 'Map') return { type: 'MapStateFailed', details: { mapStateFailedEventDetails: { error: event.Error, cause: cause(event.Cause) } } };
      return undefined;
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      return { type: event.type, details: { mapIterationEventDetails: { name: event.parentState!.name, index: event.index } } };
    default:
      return undefined; // StateRetried, StateCaught: Step Functions records these as Task events and transitions
  }
}

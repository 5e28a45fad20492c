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
 * This file is the engine's public face and its run loop; each concern has its own module here:
 * `definition.ts` (reading ASL), `slots.ts` (the queue's concurrency and parked waits),
 * `task-invocation.ts` (running a Task state), `task-tokens.ts`, `history-events.ts`,
 * `crash-recovery.ts` and the store, `sqlite-execution-store.ts`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { StateMachine } from 'aws-local-stepfunctions';
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
import { recoverOrphans, registerOwner, releaseOwner } from './crash-recovery.js';
import { interpreter, MAX_PAYLOAD_BYTES, prepareDefinition, taskFunctionNames } from './definition.js';
import { describeExecution, summarizeExecution } from './describe-execution.js';
import { appendHistoryEvent, historyEventOf, historyWriter, translateEvent } from './history-events.js';
import type { ExecutionSettled, LocalWorkflow } from './local-workflow.js';
import type { RunningExecution } from './running-execution.js';
import { Slots } from './slots.js';
import { SqliteExecutionStore, type ExecutionRow } from './sqlite-execution-store.js';
import { TaskInvoker } from './task-invocation.js';
import { TaskTokens } from './task-tokens.js';

export { prepareDefinition } from './definition.js';
export type { ExecutionSettled, Invocation, LocalFunction, LocalWorkflow } from './local-workflow.js';

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
const REDRIVABLE: readonly ExecutionStatus[] = ['FAILED', 'ABORTED', 'TIMED_OUT'];

export class AslWorkflowEngine implements WorkflowEngine {
  readonly store: SqliteExecutionStore;
  /** Emits `settled` ({@link ExecutionSettled}) whenever an execution ends in this process. */
  readonly events = new EventEmitter();
  private readonly ownsStore: boolean;
  private readonly owner: string;
  private readonly machines = new Map<string, { machine?: StateMachine; workflow: LocalWorkflow }>();
  private readonly running = new Map<number, RunningExecution>();
  private readonly slots: Slots;
  private readonly tokens: TaskTokens;
  private readonly tasks: TaskInvoker;
  private readonly maxRecoveries: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private paused: boolean;
  private closing = false;

  constructor(private readonly options: AslWorkflowEngineOptions) {
    this.ownsStore = typeof options.store === 'string';
    this.store = typeof options.store === 'string' ? new SqliteExecutionStore(options.store) : options.store;
    this.maxRecoveries = options.maxRecoveries ?? WORKFLOW.maxRecoveries;
    this.owner = registerOwner(randomUUID());
    const pollMs = options.pollMs ?? 1000;
    this.slots = new Slots(options.concurrency ?? WORKFLOW.concurrency, () => this.running.size, () => this.pump());
    this.tokens = new TaskTokens(this.store, pollMs);
    this.tasks = new TaskInvoker(this.store, this.slots, this.tokens);
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
    return describeExecution(this.row(executionArn));
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
    return { executions: page.map(summarizeExecution), ...(rows.length > limit ? { cursor: String(page[page.length - 1]!.seq) } : {}) };
  }

  async history(
    executionArn: string,
    options: { limit?: number; cursor?: string; reverse?: boolean } = {},
  ): Promise<{ events: HistoryEvent[]; cursor?: string }> {
    const row = this.row(executionArn);
    const limit = Math.min(Math.max(1, options.limit ?? 1000), 1000);
    const rows = this.store.events(row.seq, { afterId: Number(options.cursor ?? 0), limit: limit + 1, reverse: !!options.reverse });
    const page = rows.slice(0, limit);
    const events: HistoryEvent[] = page.map(historyEventOf);
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
      appendHistoryEvent(this.store, row.seq, this.store.lastEventId(row.seq) + 1, 'ExecutionAborted', {
        executionAbortedEventDetails: { error: options.error, cause: options.cause },
      });
      this.events.emit('settled', { executionArn, name: row.name, workflow: row.workflow, status: 'ABORTED' } satisfies ExecutionSettled);
    }
    // Running in another process: that process sees the status before its next task and stops.
    return { stopDate: new Date(now).toISOString() };
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    this.tokens.settle(taskToken, { status: 'succeeded', output: JSON.stringify(output ?? {}) });
  }

  async sendTaskFailure(taskToken: string, options: { error: string; cause?: string }): Promise<void> {
    this.tokens.settle(taskToken, { status: 'failed', error: options.error, ...(options.cause ? { cause: options.cause } : {}) });
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
    releaseOwner(this.owner);
    if (this.ownsStore) this.store.close();
  }

  private row(executionArn: string): ExecutionRow {
    const row = this.store.get(executionArn);
    if (!row) throw new NotFoundError('ExecutionDoesNotExist', `Execution does not exist: ${executionArn}`);
    return row;
  }

  /** Redrives executions whose process is gone, or fails them after too many restarts. */
  private recover(): void {
    if (this.closing) return;
    recoverOrphans(this.store, this.maxRecoveries);
  }

  private pump(): void {
    if (this.closing) return;
    // An answered execution goes on before a queued one starts: it was admitted first.
    this.slots.grantResumers();
    if (this.paused) return;
    while (this.slots.free()) {
      const row = this.store.nextQueued();
      if (!row) return;
      if (!this.store.claim(row.seq, this.owner, Date.now())) continue; // another process took it
      const claimed: ExecutionRow = { ...row, status: 'RUNNING' };
      const running: RunningExecution = { row: claimed, controller: new AbortController(), done: Promise.resolve(), tasks: new Set() };
      this.running.set(row.seq, running);
      running.done = this.run(running)
        .catch((error: unknown) => {
          // A fault of the engine itself (not of a task): the execution fails visibly.
          this.store.finish(row.seq, 'FAILED', { error: 'States.Runtime', cause: String(error) }, Date.now());
        })
        .finally(() => {
          this.running.delete(row.seq);
          this.slots.release(row.seq);
          const after = this.store.db.isOpen ? this.store.get(row.arn) : undefined;
          if (after && TERMINAL_STATUSES.includes(after.status)) {
            this.events.emit('settled', { executionArn: row.arn, name: row.name, workflow: row.workflow, status: after.status } satisfies ExecutionSettled);
          }
          this.pump();
        });
    }
  }

  private async run(running: RunningExecution): Promise<void> {
    const { row } = running;
    const entry = this.machines.get(row.workflow);
    if (!entry) {
      this.store.finish(row.seq, 'FAILED', { error: 'States.Runtime', cause: `There is no workflow named "${row.workflow}" here.` }, Date.now());
      return;
    }
    const { emit, redriven } = historyWriter(this.store, row.seq);
    const taskToken = createHash('sha256').update(`${row.arn}|task-token`).digest('hex');
    entry.machine ??= prepareDefinition(entry.workflow.definition, { validated: entry.workflow.validated ?? false });
    const execution = entry.machine.run(JSON.parse(row.input), {
      overrides: {
        taskResourceLocalHandlers: this.tasks.bind(entry.workflow, running, emit, taskToken),
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
}

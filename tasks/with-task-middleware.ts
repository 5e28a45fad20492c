/**
 * Wraps a task's pure `run(input, deps, { signal })` into a Middy Lambda handler with the
 * middlewares every task shares: deps injection, structured JSON logs (execution and image
 * ids), error mapping to the names Retry/Catch match, and input validation.
 *
 * The same chain runs in Lambda (`handler(event, context)`, deps from the environment) and in
 * the local engine (`handler.withDeps(deps)`), so local runs exercise exactly what AWS runs.
 *
 * @example
 * export const handler = withTaskMiddleware(run, { task: 'inspect', input: InspectInput });
 */
import middy, { type MiddlewareObj, type Request } from '@middy/core';
import { randomUUID } from 'node:crypto';
import { mapErrors } from './middleware/map-errors.js';
import { structuredLog } from './middleware/structured-log.js';
import { validateInput } from './middleware/validate-input.js';
import type { TaskInput, TaskOutput, TaskSchema } from './task-contract.js';
import { depsFromEnvironment, type TaskDeps } from './task-deps.js';
import type { TaskName } from './task-names.js';

export type TaskRun<I, O> = (input: I, deps: TaskDeps, options: { signal: AbortSignal }) => Promise<O>;

/** The parts of the Lambda context tasks read, plus what the local engine passes in. */
export interface TaskContext {
  awsRequestId?: string;
  functionName?: string;
  getRemainingTimeInMillis?: () => number;
  /** Local engine: the execution's abort signal (stop, shutdown). */
  signal?: AbortSignal;
  /** Local engine: the deps to use instead of the environment's. */
  deps?: TaskDeps;
}

/** A task's Lambda handler, typed by its name's contract (`task-contract.ts`). */
export interface TaskHandler<N extends TaskName> {
  (event: unknown, context?: TaskContext): Promise<TaskOutput<N>>;
  readonly task: N;
  readonly run: TaskRun<TaskInput<N>, TaskOutput<N>>;
  /** The same middleware chain over given deps: `(payload, { signal }) => output`, for the local engine. */
  withDeps(deps: TaskDeps): (payload: unknown, invocation?: { signal?: AbortSignal }) => Promise<TaskOutput<N>>;
}

/** Puts the deps on the request: the engine's when it passed them, else the environment's. */
function injectDeps(): MiddlewareObj {
  const injectDepsBefore = async (request: Request): Promise<void> => {
    const context = request.context as TaskContext;
    context.deps ??= await depsFromEnvironment();
  };
  return { before: injectDepsBefore };
}

export function withTaskMiddleware<N extends TaskName>(
  run: TaskRun<TaskInput<N>, TaskOutput<N>>,
  options: { task: N; input: TaskSchema<N> },
): TaskHandler<N> {
  const chain = middy(async (event: unknown, context: TaskContext, middyOptions: { signal: AbortSignal }) =>
    run(event as TaskInput<N>, context.deps!, { signal: context.signal ?? middyOptions.signal }),
  )
    .use(injectDeps())
    .use(structuredLog({ task: options.task, logger: (request) => (request.context as TaskContext).deps?.log }))
    .use(mapErrors({ task: options.task }))
    .use(validateInput({ schema: options.input }));
  const handler = ((event: unknown, context: TaskContext = {}) => chain(event, context as never)) as TaskHandler<N>;
  Object.assign(handler, {
    task: options.task,
    run,
    withDeps: (deps: TaskDeps) => (payload: unknown, invocation: { signal?: AbortSignal } = {}) =>
      chain(payload, { deps, awsRequestId: randomUUID(), functionName: options.task, ...(invocation.signal ? { signal: invocation.signal } : {}) } as never),
  });
  return handler;
}

/**
 * The local engine on small hand-written definitions: queueing, idempotent names, history
 * shapes, stop, redrive with remembered results, crash recovery, task tokens, and the
 * Lambda integration shapes it mirrors.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AslWorkflowEngine, prepareDefinition, type LocalFunction } from '../../../workflows/engine/asl-workflow-engine.js';
import { SqliteExecutionStore } from '../../../workflows/engine/sqlite-execution-store.js';
import { ImageError, TransientError } from '../../../core/errors.js';

const fn = (name: string) => `arn:aws:lambda:local:000000000000:function:${name}`;

/** Step → (Map over $.items: Double) → Finish; Step retries TransientError. */
const DEFINITION = {
  StartAt: 'Step',
  States: {
    Step: {
      Type: 'Task',
      Resource: fn('step'),
      Parameters: { 'value.$': '$.value', 'execution.$': '$$.Execution.Id' },
      ResultPath: '$.step',
      Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 2 }],
      Next: 'Fan',
    },
    Fan: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 2,
      ItemProcessor: { StartAt: 'Double', States: { Double: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: fn('double'), 'Payload.$': '$' }, OutputPath: '$.Payload', End: true } } },
      ResultPath: '$.doubled',
      Next: 'Finish',
    },
    Finish: { Type: 'Pass', End: true },
  },
};

const WAITING = {
  StartAt: 'Ask',
  States: {
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: fn('ask'), Payload: { 'token.$': '$$.Task.Token' } },
      ResultPath: '$.answer',
      End: true,
    },
  },
};

/** Ask (waits for a token) → After (a task that needs a slot again). */
const REVIEWED = {
  StartAt: 'Ask',
  States: {
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: fn('ask'), Payload: { 'token.$': '$$.Task.Token' } },
      ResultPath: '$.answer',
      Next: 'After',
    },
    After: { Type: 'Task', Resource: fn('after'), ResultPath: '$.after', End: true },
  },
};

// Validation compiles JSON schemas: once, outside any test's timeout.
beforeAll(() => {
  prepareDefinition(DEFINITION);
  prepareDefinition(WAITING);
  prepareDefinition(REVIEWED);
}, 120_000);

let dir: string;
const engines: AslWorkflowEngine[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'shutter-engine-'));
});
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
  await rm(dir, { recursive: true, force: true });
});

function engine(functions: Record<string, LocalFunction>, options: Partial<ConstructorParameters<typeof AslWorkflowEngine>[0]> = {}) {
  const created = new AslWorkflowEngine({
    store: path.join(dir, 'history.db'),
    workflows: { demo: { definition: DEFINITION, functions }, waiting: { definition: WAITING, functions }, reviewed: { definition: REVIEWED, functions } },
    retryIntervalOverrides: { Step: 0 },
    pollMs: 20,
    ...options,
  });
  engines.push(created);
  return created;
}

const ok: Record<string, LocalFunction> = {
  step: async (payload) => ({ got: (payload as { value: number }).value }),
  double: async (payload) => (payload as number) * 2,
  ask: async () => ({}),
  after: async () => ({}),
};

test('runs an execution: output, integration shapes, and a history shaped like GetExecutionHistory', async () => {
  const seen: unknown[] = [];
  const local = engine({ ...ok, step: async (payload) => (seen.push(payload), { got: 1 }) });
  const { executionArn, existing } = await local.start('demo', { name: 'first', input: { value: 1, items: [1, 2, 3] } });
  expect(existing).toBe(false);
  const done = await local.settled(executionArn);
  expect(done).toMatchObject({ status: 'SUCCEEDED', name: 'first', workflow: 'demo', output: { step: { got: 1 }, doubled: [2, 4, 6] } });
  expect(seen).toEqual([{ value: 1, execution: executionArn }]);
  const { events } = await local.history(executionArn);
  const types = events.map((event) => event.type);
  expect(types[0]).toBe('ExecutionStarted');
  expect(types.at(-1)).toBe('ExecutionSucceeded');
  expect(types.filter((type) => type === 'MapIterationStarted')).toHaveLength(3);
  expect(events.find((event) => event.type === 'TaskStateEntered')).toMatchObject({ stateEnteredEventDetails: { name: 'Step' } });
  expect(events.find((event) => event.type === 'TaskSucceeded')).toMatchObject({ taskSucceededEventDetails: { resource: 'step', output: '{"got":1}' } });
  // Pages: ids continue where the cursor left off.
  const first = await local.history(executionArn, { limit: 5 });
  const next = await local.history(executionArn, { limit: 5, cursor: first.cursor! });
  expect(next.events[0]!.id).toBe(6);
  expect((await local.history(executionArn, { reverse: true, limit: 1 })).events[0]!.type).toBe('ExecutionSucceeded');
});

test('queues beyond the concurrency and runs in order of arrival; a name starts once', async () => {
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const local = engine(
    {
      ...ok,
      step: async (payload) => {
        running++;
        peak = Math.max(peak, running);
        order.push((payload as { value: number }).value);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return {};
      },
    },
    { concurrency: 2, autoStart: false },
  );
  const arns = [];
  for (let value = 0; value < 12; value++) arns.push((await local.start('demo', { name: `n${value}`, input: { value, items: [] } })).executionArn);
  expect(await local.start('demo', { name: 'n3', input: { value: 99, items: [] } })).toMatchObject({ existing: true, executionArn: arns[3] });
  expect(local.counts()).toEqual({ QUEUED: 12 });
  local.resume();
  for (const arn of arns) await local.settled(arn);
  expect(peak).toBe(2);
  expect(order).toEqual([...Array(12).keys()]);
  const listed = await local.list({ limit: 5 });
  expect(listed.executions.map((execution) => execution.name)).toEqual(['n11', 'n10', 'n9', 'n8', 'n7']);
  const rest = await local.list({ limit: 100, cursor: listed.cursor! });
  expect(rest.executions).toHaveLength(7);
  expect((await local.list({ prefix: 'n1' })).executions.map((execution) => execution.name).sort()).toEqual(['n1', 'n10', 'n11']);
  expect((await local.list({ status: 'FAILED' })).executions).toEqual([]);
});

test('refuses bad names, oversized input and unknown executions with stable codes', async () => {
  const local = engine(ok);
  await expect(local.start('demo', { name: 'has space', input: {} })).rejects.toMatchObject({ status: 400, code: 'InvalidName' });
  await expect(local.start('demo', { name: 'big', input: { blob: 'x'.repeat(300 * 1024) } })).rejects.toMatchObject({ status: 413 });
  await expect(local.start('nope', { name: 'x', input: {} })).rejects.toMatchObject({ code: 'StateMachineDoesNotExist' });
  await expect(local.describe(local.executionArn('demo', 'missing'))).rejects.toMatchObject({ status: 404, code: 'ExecutionDoesNotExist' });
  expect(() => new AslWorkflowEngine({ store: ':memory:', workflows: { demo: { definition: DEFINITION, functions: { step: ok.step! } } } })).toThrow(
    /no local function "double"/,
  );
});

test('a task error carries its name to Retry and Catch; a failed execution is redriven without redoing what succeeded', async () => {
  let stepCalls = 0;
  let failDouble = true;
  const local = engine({
    ...ok,
    step: async () => {
      stepCalls++;
      if (stepCalls === 1) throw new TransientError('Test::Blip', 'blip');
      return { ok: true };
    },
    double: async (payload) => {
      if (failDouble) throw new ImageError('Test::Broken', 'broken');
      return (payload as number) * 2;
    },
  });
  const { executionArn } = await local.start('demo', { name: 'redo', input: { value: 1, items: [1] } });
  const failed = await local.settled(executionArn);
  expect(failed).toMatchObject({ status: 'FAILED', error: 'ImageError', cause: 'broken' });
  expect(stepCalls).toBe(2); // one retry
  failDouble = false;
  await local.redrive(executionArn);
  const redriven = await local.settled(executionArn);
  expect(redriven).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, output: { doubled: [2] } });
  expect(stepCalls).toBe(2); // Step's result was kept
  const { events } = await local.history(executionArn);
  expect(events.filter((event) => event.type === 'ExecutionRedriven')).toHaveLength(1);
  expect(events.find((event) => event.type === 'TaskSucceeded' && (event.taskSucceededEventDetails as { fromEarlierRun?: boolean }).fromEarlierRun)).toBeDefined();
});

test('stop: a queued execution is aborted at once, a running one is interrupted; both can be redriven', async () => {
  // Every step waits for the gate (or its abort). Opening the gate, not one step's resolver saved
  // 20 ms earlier, releases the redriven step: on a busy machine it may start later than that.
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const local = engine({ ...ok, step: (_payload, { signal }) => new Promise((resolve, reject) => (void gate.then(() => resolve({})), signal.addEventListener('abort', () => reject(signal.reason)))) }, { concurrency: 1 });
  const running = await local.start('demo', { name: 'running', input: { value: 1, items: [] } });
  const queued = await local.start('demo', { name: 'queued', input: { value: 2, items: [] } });
  await expect(local.stop(queued.executionArn)).resolves.toHaveProperty('stopDate');
  expect((await local.describe(queued.executionArn)).status).toBe('ABORTED');
  while ((await local.describe(running.executionArn)).status !== 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 5));
  await local.stop(running.executionArn, { error: 'Test.Stop' });
  expect(await local.settled(running.executionArn)).toMatchObject({ status: 'ABORTED', error: 'Test.Stop' });
  await expect(local.stop(running.executionArn)).rejects.toMatchObject({ status: 409 });
  await local.redrive(queued.executionArn);
  open();
  expect((await local.settled(queued.executionArn)).status).toBe('SUCCEEDED');
});

test('an execution left RUNNING by a dead process is redriven at start, and failed after too many restarts', async () => {
  const file = path.join(dir, 'history.db');
  const store = new SqliteExecutionStore(file);
  const input = JSON.stringify({ value: 1, items: [] });
  store.insert({ arn: 'arn:aws:states:local:000000000000:execution:demo:orphan', name: 'orphan', workflow: 'demo', input, start_ms: Date.now() });
  store.insert({ arn: 'arn:aws:states:local:000000000000:execution:demo:poison', name: 'poison', workflow: 'demo', input, start_ms: Date.now() });
  const [orphan, poison] = [store.get('arn:aws:states:local:000000000000:execution:demo:orphan')!, store.get('arn:aws:states:local:000000000000:execution:demo:poison')!];
  // Owned by a process id that cannot exist.
  store.claim(orphan.seq, '999999999:gone', Date.now());
  store.claim(poison.seq, '999999999:gone', Date.now());
  store.db.prepare('UPDATE executions SET recoveries = 3 WHERE seq = ?').run(poison.seq);
  store.close();
  const local = engine(ok);
  expect(await local.settled(orphan.arn)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
  expect(await local.settled(poison.arn)).toMatchObject({ status: 'FAILED', error: 'Shutter.ProcessCrashed' });
});

test('a waitForTaskToken state waits for sendTaskSuccess, also across an engine restart', async () => {
  let token = '';
  const local = engine({ ...ok, ask: async (payload) => ((token = (payload as { token: string }).token), {}) });
  const { executionArn } = await local.start('waiting', { name: 'asks', input: {} });
  while (!token) await new Promise((resolve) => setTimeout(resolve, 5));
  expect((await local.describe(executionArn)).status).toBe('RUNNING');
  await local.close(); // shut down while waiting: back to the queue
  const again = engine({ ...ok, ask: async () => ({}) });
  while ((await again.describe(executionArn)).status !== 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 5));
  await again.sendTaskSuccess(token, { approved: true });
  expect(await again.settled(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: { answer: { approved: true } } });
  await expect(again.sendTaskSuccess(token, {})).rejects.toMatchObject({ code: 'TaskDoesNotExist' });
  await expect(again.sendTaskFailure('nonsense', { error: 'X' })).rejects.toMatchObject({ status: 404 });
});

test('executions waiting for a task token hold no slot: others run meanwhile; an answered one waits for a slot before its next state', async () => {
  const tokens = new Map<string, string>();
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => (release = resolve));
  let busy = 0;
  let mostBusy = 0;
  /** Counts tasks doing work at once: with one slot, never more than one. */
  const working = async <T>(work: () => Promise<T>): Promise<T> => {
    mostBusy = Math.max(mostBusy, ++busy);
    try {
      return await work();
    } finally {
      busy--;
    }
  };
  const functions: Record<string, LocalFunction> = {
    ...ok,
    ask: async (payload, { executionName }) => (tokens.set(executionName, (payload as { token: string }).token), {}),
    step: (payload) => working(async () => ((payload as { value: number }).value === 0 ? blocked.then(() => ({})) : {})),
    after: () => working(async () => ({})),
  };
  const local = engine(functions, { concurrency: 1 });
  const first = await local.start('reviewed', { name: 'first', input: {} });
  const second = await local.start('reviewed', { name: 'second', input: {} });
  // Both ask for a decision although there is one slot: the first one's wait freed it.
  while (tokens.size < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  // An unrelated execution runs to the end while both wait.
  const unrelated = await local.start('demo', { name: 'unrelated', input: { value: 1, items: [1] } });
  expect(await local.settled(unrelated.executionArn)).toMatchObject({ status: 'SUCCEEDED' });
  // Another takes the slot and holds it; the answered execution waits for it before "After".
  const holder = await local.start('demo', { name: 'holder', input: { value: 0, items: [] } });
  while (busy === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  await local.sendTaskSuccess(tokens.get('first')!, { approved: true });
  release();
  expect(await local.settled(holder.executionArn)).toMatchObject({ status: 'SUCCEEDED' });
  expect(await local.settled(first.executionArn)).toMatchObject({ status: 'SUCCEEDED', output: { answer: { approved: true }, after: {} } });
  expect(mostBusy).toBe(1);
  expect((await local.describe(second.executionArn)).status).toBe('RUNNING');
  // A stopped waiting execution ends without needing a slot.
  await local.stop(second.executionArn);
  expect(await local.settled(second.executionArn)).toMatchObject({ status: 'ABORTED' });
});

test('a waiting execution left behind by a restart waits again without a slot, and goes on when answered', async () => {
  const tokens = new Map<string, string>();
  const functions: Record<string, LocalFunction> = { ...ok, ask: async (payload, { executionName }) => (tokens.set(executionName, (payload as { token: string }).token), {}) };
  const before = engine(functions, { concurrency: 1 });
  const waiting = await before.start('reviewed', { name: 'waiting', input: {} });
  while (!tokens.has('waiting')) await new Promise((resolve) => setTimeout(resolve, 5));
  await before.close();
  tokens.clear();
  const after = engine(functions, { concurrency: 1 });
  while (!tokens.has('waiting')) await new Promise((resolve) => setTimeout(resolve, 5));
  const other = await after.start('demo', { name: 'other', input: { value: 1, items: [] } });
  expect(await after.settled(other.executionArn)).toMatchObject({ status: 'SUCCEEDED' });
  await after.sendTaskSuccess(tokens.get('waiting')!, { approved: false });
  expect(await after.settled(waiting.executionArn)).toMatchObject({ status: 'SUCCEEDED', output: { answer: { approved: false } } });
});

/**
 * The local workflow gives memory back once its tasks have gone idle (core/memory/idle-memory.ts):
 * every task invocation is work, so no release runs while an execution is in flight, one runs after
 * the pause, and MEMORY_IDLE_SECONDS wires the real one (a full GC and glibc's malloc_trim).
 */
import { createLocalWorkflows } from '../../workflows/local-runtime.js';
import { IdleMemory } from '../../core/memory/idle-memory.js';
import type { Released } from '../../core/memory/release-memory.js';
import { FixedAnalyzer } from '../helpers/fake-analyzers.js';
import { makeImage } from '../helpers/images.js';
import { prepareWorkflowDefinitions, testPlatform } from '../helpers/workflow-platform.js';
import { silentLogger } from '../../core/observability/logger.js';

beforeAll(prepareWorkflowDefinitions, 120_000);

async function waitFor(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An analyzer whose moderation waits until the test lets it go: a task held in flight. */
class HeldAnalyzer extends FixedAnalyzer {
  held = 0;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  letGo(): void {
    this.open();
  }
  override async moderate() {
    this.held++;
    await this.gate;
    return super.moderate();
  }
}

test('each task is work: no release while one is in flight, one after the pause that follows the last', async () => {
  const analyzer = new HeldAnalyzer();
  const test = await testPlatform({ analyzer });
  // A clock that moves only when the test says: what is pending is what the tasks armed.
  const pending = new Map<number, () => void>();
  let id = 0;
  const timers = { setTimeout: (callback: () => void) => (pending.set(++id, callback), id), clearTimeout: (timer: unknown) => void pending.delete(timer as number) };
  const fire = async () => {
    for (const [timer, callback] of [...pending]) {
      pending.delete(timer);
      callback();
    }
    await new Promise((resolve) => setImmediate(resolve));
  };
  const released: Released = { rssBeforeMb: 1, rssAfterMb: 1, gc: true, trimmed: true, ms: 1, trimMs: 0 };
  const idleMemory = new IdleMemory({ idleMs: 10_000, timers, release: async () => released, watchWorkers: false });
  const workflows = createLocalWorkflows(test.platform, { watch: false, sweep: false, log: silentLogger, pollMs: 50, idleMemory });
  const run = async (key: string) => {
    const { etag } = await test.platform.storage.put('uploads', key, await makeImage(24, 16, 'png', key === 'b.png' ? '#00ff00' : '#ff00ff'));
    return (await workflows.startUpload(key, etag)).executionArn;
  };
  try {
    expect(workflows.idleMemory).toBe(idleMemory);
    expect(pending.size).toBe(0); // no work yet: nothing to give back
    expect((await workflows.engine.settled(await run('a.png'))).status).toBe('SUCCEEDED');
    expect(pending.size).toBe(1); // the last task's end armed the release
    // A second execution, held in its Moderate task: its start cancels the pending release.
    analyzer.hold();
    const second = await run('b.png');
    await waitFor(() => analyzer.held === 2);
    expect(pending.size).toBe(0);
    await fire();
    expect(idleMemory.releases).toBe(0);
    analyzer.letGo();
    expect((await workflows.engine.settled(second)).status).toBe('SUCCEEDED');
    expect(pending.size).toBe(1);
    await fire();
    expect(idleMemory.releases).toBe(1);
    expect(pending.size).toBe(0); // once per pause
  } finally {
    analyzer.letGo();
    await workflows.close();
    idleMemory.close();
    await test.cleanup();
  }
}, 60_000);

test('MEMORY_IDLE_SECONDS wires the real release; the workflow closes the one it made', async () => {
  const test = await testPlatform({ analyzer: new FixedAnalyzer(), env: { MEMORY_IDLE_SECONDS: '1' } });
  const workflows = createLocalWorkflows(test.platform, { watch: false, sweep: false, log: silentLogger, pollMs: 50 });
  try {
    const { etag } = await test.platform.storage.put('uploads', 'd.png', await makeImage(24, 16, 'png'));
    expect((await workflows.engine.settled((await workflows.startUpload('d.png', etag)).executionArn)).status).toBe('SUCCEEDED');
    await waitFor(() => workflows.idleMemory.releases >= 1);
    expect(workflows.idleMemory.last).toMatchObject({ gc: true, trimmed: true });
  } finally {
    await workflows.close();
    await test.cleanup();
  }
  // Closed with the workflows: nothing is released after.
  const releases = workflows.idleMemory.releases;
  workflows.idleMemory.touch();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(workflows.idleMemory.releases).toBe(releases);
}, 60_000);

test('MEMORY_IDLE_SECONDS=0: never released, and the tasks run unwrapped', async () => {
  const test = await testPlatform({ analyzer: new FixedAnalyzer(), env: { MEMORY_IDLE_SECONDS: '0' } });
  expect(test.platform.config.memoryIdleMs).toBe(0);
  const workflows = createLocalWorkflows(test.platform, { watch: false, sweep: false, log: silentLogger, pollMs: 50 });
  try {
    const { etag } = await test.platform.storage.put('uploads', 'e.png', await makeImage(24, 16, 'png'));
    expect((await workflows.engine.settled((await workflows.startUpload('e.png', etag)).executionArn)).status).toBe('SUCCEEDED');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(workflows.idleMemory.releases).toBe(0);
  } finally {
    await workflows.close();
    await test.cleanup();
  }
}, 60_000);

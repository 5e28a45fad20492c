/**
 * The local server's shutdown always ends the process: after its steps, on a second signal, and
 * when a step hangs (work no timeout stops holding libuv's thread pool) past the hard limit.
 */
import { gracefulShutdown } from '../../bin/graceful-shutdown.js';

function harness(hardLimitMs: number, steps: () => Promise<void>) {
  const exits: number[] = [];
  const lines: string[] = [];
  const stop = gracefulShutdown(steps, { hardLimitMs, log: (message) => lines.push(message), exit: (code) => exits.push(code) });
  return { stop, exits, lines };
}

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('the steps finish: exit 0, and the hard limit never fires afterwards', async () => {
  const { stop, exits } = harness(50, async () => {});
  await stop('SIGTERM');
  expect(exits).toEqual([0]);
  await new Promise((resolve) => setTimeout(resolve, 150));
  expect(exits).toEqual([0]);
});

test('a step that never ends: exit 1 at the hard limit, with a log line saying why', async () => {
  const { stop, exits, lines } = harness(100, () => new Promise<void>(() => {}));
  void stop('SIGTERM');
  await until(() => exits.length > 0);
  expect(exits).toEqual([1]);
  expect(lines).toContain('exiting: shutdown did not finish in time');
});

test('a second signal exits at once', async () => {
  const { stop, exits } = harness(60_000, () => new Promise<void>(() => {}));
  void stop('SIGTERM');
  await stop('SIGINT');
  expect(exits).toEqual([1]);
});

test('a failing step: exit 1', async () => {
  const { stop, exits, lines } = harness(60_000, async () => {
    throw new Error('disk gone');
  });
  await stop('SIGTERM');
  expect(exits).toEqual([1]);
  expect(lines).toContain('shutdown failed');
});

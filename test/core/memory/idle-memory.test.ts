/**
 * The idle policy (core/memory/idle-memory.ts): memory goes back once, after `idleMs` without work
 * in flight, never during work; driven here by a hand-turned clock, with a release that records.
 */
import { Worker } from 'node:worker_threads';
import { IdleMemory, type IdleTimers } from '../../../core/memory/idle-memory.js';
import type { Released } from '../../../core/memory/release-memory.js';

/** A clock the test turns: timers fire only when `advance` passes their time. */
function manualClock() {
  let now = 0;
  let nextId = 1;
  const pending = new Map<number, { at: number; callback: () => void }>();
  const timers: IdleTimers = {
    setTimeout: (callback, ms) => {
      const id = nextId++;
      pending.set(id, { at: now + ms, callback });
      return id;
    },
    clearTimeout: (id) => void pending.delete(id as number),
  };
  return {
    timers,
    pending: () => pending.size,
    async advance(ms: number) {
      now += ms;
      for (const [id, timer] of [...pending]) {
        if (timer.at <= now) {
          pending.delete(id);
          timer.callback();
        }
      }
      // Let the release's promise settle.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

const released: Released = { rssBeforeMb: 200, rssAfterMb: 140, gc: true, trimmed: true, ms: 12, trimMs: 2 };

function setup(idleMs = 10_000, release: () => Promise<Released> = async () => released, watchWorkers = false) {
  const clock = manualClock();
  const calls: number[] = [];
  const warnings: unknown[] = [];
  const memory = { rssMb: 300 };
  const idle = new IdleMemory({
    rssMb: () => memory.rssMb,
    idleMs,
    timers: clock.timers,
    release: async () => {
      calls.push(1);
      return release();
    },
    log: { debug: () => {}, warn: (fields: unknown) => void warnings.push(fields) } as never,
    watchWorkers,
  });
  return { idle, clock, calls, warnings, memory };
}

test('memory goes back once the idle time has passed after the last work, not before', async () => {
  const { idle, clock, calls } = setup();
  const end = idle.begin();
  await clock.advance(60_000); // a long render: no release while it is in flight
  expect(calls).toHaveLength(0);
  end();
  await clock.advance(9_999);
  expect(calls).toHaveLength(0);
  await clock.advance(1);
  expect(calls).toHaveLength(1);
  expect(idle.releases).toBe(1);
  expect(idle.last).toEqual(released);
});

test('work that starts during the pause puts the release off until the next pause', async () => {
  const { idle, clock, calls } = setup();
  idle.begin()();
  await clock.advance(5_000);
  const end = idle.begin();
  await clock.advance(20_000);
  expect(calls).toHaveLength(0);
  end();
  await clock.advance(10_000);
  expect(calls).toHaveLength(1);
});

test('one release per pause: an idle process is not released again and again', async () => {
  const { idle, clock, calls } = setup();
  idle.begin()();
  await clock.advance(10_000);
  await clock.advance(600_000);
  expect(calls).toHaveLength(1);
  expect(clock.pending()).toBe(0);
  // Nothing ran before the first work either: a process that never worked is never released.
  expect(setup().calls).toHaveLength(0);
});

test('wrap counts each call as work until it settles, rejections included', async () => {
  const { idle, clock, calls } = setup();
  let finish!: () => void;
  const render = idle.wrap((size: number) => new Promise<number>((resolve) => (finish = () => resolve(size * 2))));
  const answer = render(21);
  await clock.advance(30_000);
  expect(calls).toHaveLength(0);
  finish();
  expect(await answer).toBe(42);
  await expect(idle.wrap(async () => Promise.reject(new Error('bad image')))()).rejects.toThrow('bad image');
  await clock.advance(10_000);
  expect(calls).toHaveLength(1);
});

test('an end called twice counts once (work in flight never goes negative)', async () => {
  const { idle, clock, calls } = setup();
  const first = idle.begin();
  const second = idle.begin();
  first();
  first();
  await clock.advance(10_000);
  expect(calls).toHaveLength(0); // the second is still in flight
  second();
  await clock.advance(10_000);
  expect(calls).toHaveLength(1);
});

test('after the first release, a pause releases again only when RSS has grown 8 MB since (not after every health check)', async () => {
  const { idle, clock, calls, memory } = setup();
  idle.begin()();
  await clock.advance(10_000);
  expect(calls).toHaveLength(1); // the first: RSS after it is 140 MB (the fixture)
  memory.rssMb = 147; // a health check: 7 MB more
  idle.begin()();
  await clock.advance(10_000);
  expect(calls).toHaveLength(1);
  memory.rssMb = 148; // a burst: 8 MB more than the last release left
  idle.begin()();
  await clock.advance(10_000);
  expect(calls).toHaveLength(2);
});

test('touch asks for another release after the idle time, grown or not (memory freed outside the counted work)', async () => {
  const { idle, clock, calls, memory } = setup();
  idle.begin()();
  await clock.advance(10_000);
  memory.rssMb = 100; // lower than the last release left: the models' worker ended and took its memory
  idle.touch(); // e.g. the models' worker ended
  await clock.advance(10_000);
  expect(calls).toHaveLength(2);
});

test('idleMs 0 turns it off: wrap hands the function back as it is, and nothing is ever released', async () => {
  const { idle, clock, calls } = setup(0);
  const fn = async () => 1;
  expect(idle.wrap(fn)).toBe(fn);
  idle.begin()();
  idle.touch();
  await clock.advance(1e9);
  expect(calls).toHaveLength(0);
  expect(clock.pending()).toBe(0);
});

test('a release that fails is logged and the process carries on', async () => {
  const { idle, clock, warnings } = setup(10_000, async () => Promise.reject(new Error('no libc')));
  idle.begin()();
  await clock.advance(10_000);
  expect(idle.releases).toBe(0);
  expect(warnings).toEqual([{ error: 'Error: no libc' }]);
});

test('close cancels a pending release and refuses later ones', async () => {
  const { idle, clock, calls } = setup();
  idle.begin()();
  idle.close();
  expect(clock.pending()).toBe(0);
  idle.begin()();
  await clock.advance(60_000);
  expect(calls).toHaveLength(0);
});

test('the default clock: releases in real time, and a pending release never keeps the process alive', async () => {
  const idle = new IdleMemory({ idleMs: 50, release: async () => released });
  const timeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  const before = timeouts();
  idle.begin()();
  // Pending, but unref'd: not among the resources that keep Node's event loop alive.
  expect(timeouts()).toBe(before);
  const deadline = Date.now() + 30_000;
  while (idle.releases === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(idle.releases).toBe(1);
  idle.close();
});

test("a worker thread's exit (the models' worker ending after its idle time) asks for a release after the idle time", async () => {
  const { idle, clock, calls } = setup(10_000, async () => released, true);
  idle.begin()();
  await clock.advance(10_000);
  expect(calls).toHaveLength(1);
  const worker = new Worker('setTimeout(() => {}, 20)', { eval: true });
  await new Promise((resolve) => worker.once('exit', resolve));
  await new Promise((resolve) => setImmediate(resolve)); // our listener, added after the test's, runs next
  expect(clock.pending()).toBe(1);
  await clock.advance(10_000);
  expect(calls).toHaveLength(2);
  idle.close();
  // Closed: a later worker's exit asks for nothing.
  const later = new Worker('0', { eval: true });
  await new Promise((resolve) => later.once('exit', resolve));
  await new Promise((resolve) => setImmediate(resolve));
  expect(clock.pending()).toBe(0);
});

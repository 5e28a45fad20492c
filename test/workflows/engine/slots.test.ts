/**
 * The engine's slots on their own: a parked execution (waiting for a task token) frees its slot;
 * once answered it takes the next free one, ahead of queued executions, first come first served.
 */
import { Slots } from '../../../workflows/engine/slots.js';

function setup(concurrency: number) {
  const running = new Set<number>();
  let freed = 0;
  const slots = new Slots(concurrency, () => running.size, () => freed++);
  return { slots, running, freed: () => freed };
}

test('parking frees a slot and says so; an answered execution goes on at once while one is free', async () => {
  const { slots, running, freed } = setup(1);
  running.add(1);
  expect(slots.free()).toBe(false);
  slots.park(1);
  expect(freed()).toBe(1);
  expect(slots.free()).toBe(true);
  await slots.unpark(1, new AbortController().signal);
  expect(slots.free()).toBe(false);
});

test('answered executions wait for a slot in the order they were answered, and are granted before queued work', async () => {
  const { slots, running } = setup(1);
  for (const seq of [1, 2, 3]) running.add(seq);
  slots.park(1);
  slots.park(2);
  // 3 holds the only slot; 1 then 2 are answered and must wait.
  const order: number[] = [];
  const first = slots.unpark(1, new AbortController().signal).then(() => order.push(1));
  const second = slots.unpark(2, new AbortController().signal).then(() => order.push(2));
  running.delete(3);
  slots.release(3);
  slots.grantResumers();
  await first;
  expect(order).toEqual([1]);
  expect(slots.free()).toBe(false); // 1 took the slot: nothing queued may start
  running.delete(1);
  slots.release(1);
  slots.grantResumers();
  await second;
  expect(order).toEqual([1, 2]);
});

test('a stopped execution leaves the wait without a slot', async () => {
  const { slots, running } = setup(1);
  running.add(1);
  running.add(2);
  slots.park(1);
  const stop = new AbortController();
  const waiting = slots.unpark(1, stop.signal);
  stop.abort();
  await waiting;
  running.delete(1);
  slots.release(1);
  expect(slots.free()).toBe(false); // 2 still holds the slot; 1 is gone
  running.delete(2);
  expect(slots.free()).toBe(true);
});

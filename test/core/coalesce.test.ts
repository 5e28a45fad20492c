import { jest } from '@jest/globals';
import { Coalescer } from '../../core/coalesce.js';

/** A promise settled from outside, to hold work in flight while more callers arrive. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Coalescer', () => {
  test('identical work in flight runs once and every caller gets its result', async () => {
    const coalescer = new Coalescer<string>();
    const gate = deferred<string>();
    const work = jest.fn(() => gate.promise);
    const callers = [coalescer.run('k', work), coalescer.run('k', work), coalescer.run('k', work)];
    await Promise.resolve();
    expect(coalescer.size).toBe(1);
    gate.resolve('done');
    expect(await Promise.all(callers)).toEqual(['done', 'done', 'done']);
    expect(work).toHaveBeenCalledTimes(1);
  });

  test('different keys run separately', async () => {
    const coalescer = new Coalescer<string>();
    const work = jest.fn(async () => 'x');
    await Promise.all([coalescer.run('a', work), coalescer.run('b', work)]);
    expect(work).toHaveBeenCalledTimes(2);
  });

  test('a key is forgotten once its work settles: the next call runs again (no caching)', async () => {
    const coalescer = new Coalescer<number>();
    let runs = 0;
    const work = async () => ++runs;
    expect(await coalescer.run('k', work)).toBe(1);
    expect(await coalescer.run('k', work)).toBe(2);
    expect(coalescer.size).toBe(0);
  });

  test('a failure reaches every waiting caller, and is not remembered', async () => {
    const coalescer = new Coalescer<string>();
    const gate = deferred<string>();
    const first = coalescer.run('k', () => gate.promise);
    const second = coalescer.run('k', async () => 'never');
    gate.reject(new Error('corrupt'));
    await expect(first).rejects.toThrow('corrupt');
    await expect(second).rejects.toThrow('corrupt');
    expect(coalescer.size).toBe(0);
    expect(await coalescer.run('k', async () => 'fresh')).toBe('fresh');
  });

  test('work that throws synchronously is a rejection, and the key is not left behind', async () => {
    const coalescer = new Coalescer<string>();
    await expect(
      coalescer.run('k', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(coalescer.size).toBe(0);
  });
});

describe('Coalescer and the starting caller\'s deadline', () => {
  test('once the signal aborts, the key is forgotten at once: the next call starts its own work', async () => {
    const coalescer = new Coalescer<string>();
    const hung = deferred<string>();
    const deadline = new AbortController();
    const first = coalescer.run('k', () => hung.promise, deadline.signal);
    deadline.abort(new Error('timed out'));
    // Before the aborted work has even settled, a later caller does not share it.
    expect(coalescer.size).toBe(0);
    expect(await coalescer.run('k', async () => 'fresh')).toBe('fresh');
    hung.reject(new Error('timed out'));
    await expect(first).rejects.toThrow('timed out');
  });

  test("the aborted work settling later does not forget a newer run's key", async () => {
    const coalescer = new Coalescer<string>();
    const old = deferred<string>();
    const newer = deferred<string>();
    const deadline = new AbortController();
    const first = coalescer.run('k', () => old.promise, deadline.signal);
    deadline.abort();
    const second = coalescer.run('k', () => newer.promise);
    old.reject(new Error('aborted'));
    await expect(first).rejects.toThrow('aborted');
    // The newer run still holds the key: a third identical call shares it.
    expect(coalescer.size).toBe(1);
    const third = coalescer.run('k', async () => 'never');
    newer.resolve('shared');
    expect(await Promise.all([second, third])).toEqual(['shared', 'shared']);
    expect(coalescer.size).toBe(0);
  });

  test('a signal already aborted shares nothing', async () => {
    const coalescer = new Coalescer<string>();
    const deadline = new AbortController();
    deadline.abort();
    const gate = deferred<string>();
    const first = coalescer.run('k', () => gate.promise, deadline.signal);
    expect(coalescer.size).toBe(0);
    gate.resolve('late');
    expect(await first).toBe('late');
  });
});

/** An adapter imported on first use: loaded once, on the first call that needs it, and retried after a failed load. */
import { lazyAdapter } from '../../../core/adapters/lazy-adapter.js';
import type { EventSink, ShutterEvent } from '../../../core/ports/event-sink.js';
import type { QueryEngine } from '../../../core/ports/query-engine.js';

function recordingSink() {
  const calls: string[] = [];
  const sink: EventSink = {
    publish: async (events) => void calls.push(`publish ${events.length}`),
    flush: async () => void calls.push('flush'),
    close: async () => void calls.push('close'),
  };
  return { sink, calls };
}

const shape = { publish: 'load', flush: 'skip-until-loaded', close: 'skip-until-loaded' } as const;

test('nothing loads until a method that needs the adapter is called; then it loads once', async () => {
  const { sink, calls } = recordingSink();
  let loads = 0;
  const lazy = lazyAdapter<EventSink>(async () => (loads++, sink), shape);
  expect(loads).toBe(0);
  await Promise.all([lazy.publish([{} as ShutterEvent]), lazy.publish([])]);
  await lazy.flush();
  expect(loads).toBe(1);
  expect(calls).toEqual(['publish 1', 'publish 0', 'flush']);
});

test('flush and close of an adapter never loaded answer without loading it', async () => {
  let loads = 0;
  const lazy = lazyAdapter<EventSink>(async () => (loads++, recordingSink().sink), shape);
  await lazy.flush();
  await lazy.close();
  expect(loads).toBe(0);
});

test('members that are not async methods are given, known without loading', () => {
  const lazy = lazyAdapter<QueryEngine>(() => Promise.reject(new Error('not loaded')), { name: 'athena', run: 'load', close: 'skip-until-loaded' });
  expect(lazy.name).toBe('athena');
});

test('a failed load is reported to the caller and tried again on the next call', async () => {
  const { sink, calls } = recordingSink();
  let attempts = 0;
  const lazy = lazyAdapter<EventSink>(async () => {
    if (++attempts === 1) throw new Error('Cannot find module kafkajs');
    return sink;
  }, shape);
  await expect(lazy.publish([])).rejects.toThrow('Cannot find module kafkajs');
  await lazy.publish([]);
  expect(attempts).toBe(2);
  expect(calls).toEqual(['publish 0']);
});

test('an optional method (close?) that the loaded adapter lacks answers undefined instead of throwing', async () => {
  interface Closable {
    name: string;
    work(): Promise<string>;
    close?(): Promise<void>;
  }
  const adapter = lazyAdapter<Closable>(async () => ({ name: 'plain', work: async () => 'done' }), { name: 'plain', work: 'load', close: 'skip-until-loaded' });
  await expect(adapter.close!()).resolves.toBeUndefined(); // never loaded: skipped
  await expect(adapter.work()).resolves.toBe('done');
  await expect(adapter.close!()).resolves.toBeUndefined(); // loaded, without close
});

test("once loaded, a call goes straight to the adapter: the caller gets the adapter's own promise, and a synchronous throw as a rejection", async () => {
  const answer = Promise.resolve();
  const sink: EventSink = {
    publish: () => answer,
    flush: () => {
      throw new Error('flush failed at once');
    },
    close: async () => undefined,
  };
  const lazy = lazyAdapter<EventSink>(async () => sink, shape);
  await lazy.publish([]); // loads
  expect(lazy.publish([])).toBe(answer);
  await expect(lazy.flush()).rejects.toThrow('flush failed at once');
});

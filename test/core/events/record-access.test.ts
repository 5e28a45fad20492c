import { jest } from '@jest/globals';
import { createAccessRecorder, type AccessRecord } from '../../../core/events/record-access.js';
import { logger } from '../../../core/observability/logger.js';
import type { EventSink, ShutterEvent } from '../../../core/ports/event-sink.js';

class MemorySink implements EventSink {
  events: ShutterEvent[] = [];
  async publish(events: readonly ShutterEvent[]) {
    this.events.push(...events);
  }
  async flush() {}
  async close() {}
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

const access: AccessRecord = { method: 'GET', path: '/cat.jpg', status: 200, image: { bucket: 'images', key: 'cat.jpg' }, format: 'webp', bytes: 900, durationMs: 12.3456, cache: 'miss' };

describe('createAccessRecorder', () => {
  test('records a sampled request as a valid image.request.served event keyed by the image', async () => {
    const sink = new MemorySink();
    createAccessRecorder(sink, { sampleRate: 1 })(access);
    expect(sink.events).toHaveLength(0); // not on the request's path: on the next turn of the loop
    await nextTurn();
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]).toMatchObject({
      type: 'image.request.served',
      source: 'shutter/api',
      subject: 'images/cat.jpg',
      data: { method: 'GET', path: '/cat.jpg', status: 200, image: { bucket: 'images', key: 'cat.jpg' }, format: 'webp', bytes: 900, duration_ms: 12.346, cache: 'miss', sample_rate: 1 },
    });
  });

  test('samples at the configured rate (1 in 4 here) and records the rate', async () => {
    const sink = new MemorySink();
    let n = 0;
    const record = createAccessRecorder(sink, { sampleRate: 0.25, random: () => (n++ % 4) / 4 });
    for (let i = 0; i < 100; i++) record(access);
    expect(record.counts.sampled).toBe(25);
    await nextTurn();
    expect(sink.events).toHaveLength(25);
    expect(sink.events[0]!.data).toMatchObject({ sample_rate: 0.25 });
  });

  test('rate 0 records nothing', () => {
    const sink = new MemorySink();
    const record = createAccessRecorder(sink, { sampleRate: 0 });
    record(access);
    expect(sink.events).toHaveLength(0);
  });

  test('a failed request before decoding is keyed by its path and carries the error code', async () => {
    const sink = new MemorySink();
    createAccessRecorder(sink, { sampleRate: 1 })({ method: 'GET', path: '/not-base64!', status: 400, bytes: 80, durationMs: 1, cache: 'miss', errorCode: 'DecodeRequest::CannotDecodeRequest' });
    await nextTurn();
    expect(sink.events[0]).toMatchObject({ subject: '/not-base64!', data: { status: 400, error_code: 'DecodeRequest::CannotDecodeRequest' } });
    expect(sink.events[0]!.data).not.toHaveProperty('image');
  });

  test('never throws and never waits: a failing sink only counts dropped records', async () => {
    const warnings = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const sink: EventSink = { publish: () => Promise.reject(new Error('outbox full')), flush: async () => {}, close: async () => {} };
    const record = createAccessRecorder(sink, { sampleRate: 1 });
    expect(record(access)).toBeUndefined();
    record({ ...access, status: 99 }); // invalid: refused by the schema, counted, no throw
    await new Promise((resolve) => setImmediate(resolve));
    expect(record.counts.dropped).toBe(2);
    expect(warnings).toHaveBeenCalledTimes(1); // one warning, not one per record
    warnings.mockRestore();
  });
});

describe('createAccessRecorder bounds what a client controls (issue #13)', () => {
  test('a record keeps at most 1024 characters of the path and key', async () => {
    const sink = new MemorySink();
    const long = `/${'a'.repeat(8190)}`;
    const record = createAccessRecorder(sink, { sampleRate: 1 });
    record({ ...access, path: long, status: 400, image: undefined, errorCode: 'RequestTypeError' });
    record({ ...access, path: long, image: { bucket: 'images', key: long.slice(1) } });
    await nextTurn();
    expect(sink.events.map((event) => (event.data as { path: string }).path.length)).toEqual([1024, 1024]);
    expect(sink.events[0]!.subject.length).toBeLessThanOrEqual(1024);
    expect((sink.events[1]!.data as { image: { key: string } }).image.key.length).toBe(1024);
    expect(JSON.stringify(sink.events[0]).length).toBeLessThan(2048);
  });

  test('errors beyond 50 a second are sampled 1 in 100, each carrying the rate it was kept at; successes never are', async () => {
    const sink = new MemorySink();
    let draw = 0;
    // Deterministic draws spread over [0, 1): exactly 1 in 100 falls under 0.01.
    const record = createAccessRecorder(sink, { sampleRate: 1, random: () => (draw++ % 100) / 100, now: () => 5_000 });
    for (let i = 0; i < 1050; i++) record({ ...access, status: 400, errorCode: 'RequestTypeError' });
    for (let i = 0; i < 100; i++) record(access);
    await nextTurn();
    const errors = sink.events.filter((event) => (event.data as { status: number }).status === 400);
    const rates = errors.map((event) => (event.data as { sample_rate: number }).sample_rate);
    expect(rates.filter((rate) => rate === 1)).toHaveLength(50);
    expect(rates.filter((rate) => rate === 0.01)).toHaveLength(10);
    // Weighted by 1 / sample_rate, the dashboards still count every error.
    expect(rates.reduce((sum, rate) => sum + 1 / rate, 0)).toBe(1050);
    expect(sink.events.filter((event) => (event.data as { status: number }).status === 200)).toHaveLength(100);
  });

  test('a new second starts a new allowance', async () => {
    const sink = new MemorySink();
    let clock = 0;
    const record = createAccessRecorder(sink, { sampleRate: 1, random: () => 0.5, now: () => clock });
    for (let i = 0; i < 60; i++) record({ ...access, status: 404 });
    clock = 1000;
    for (let i = 0; i < 60; i++) record({ ...access, status: 404 });
    await nextTurn();
    expect(sink.events).toHaveLength(100);
  });

  describe('batched (batchMs)', () => {
    test('records wait for their batch: one publish for all of them after batchMs', async () => {
      const sink = new MemorySink();
      const publish = jest.spyOn(sink, 'publish');
      // The batch timer on a fake clock: on a busy machine a real 20 ms may pass before the next turn.
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
      try {
        const record = createAccessRecorder(sink, { sampleRate: 1, batchMs: 20 });
        for (let i = 0; i < 3; i++) record(access);
        await nextTurn();
        jest.advanceTimersByTime(19);
        await nextTurn();
        expect(publish).not.toHaveBeenCalled();
        jest.advanceTimersByTime(1);
        await nextTurn();
        expect(publish).toHaveBeenCalledTimes(1);
        expect(sink.events).toHaveLength(3);
      } finally {
        jest.useRealTimers();
      }
    });

    test('flush hands over what waits, records sampled this very turn included', async () => {
      const sink = new MemorySink();
      const record = createAccessRecorder(sink, { sampleRate: 1, batchMs: 60_000 });
      record(access);
      record(access);
      await record.flush();
      expect(sink.events).toHaveLength(2);
      await record.flush(); // nothing left: no empty publish
      expect(sink.events).toHaveLength(2);
    });

    test('an event carries the time of its request, not the time its batch was built', async () => {
      const sink = new MemorySink();
      const record = createAccessRecorder(sink, { sampleRate: 1, batchMs: 60_000 });
      record(access);
      const recordedBy = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await record.flush();
      expect(sink.events).toHaveLength(1);
      expect(Date.parse(sink.events[0]!.time)).toBeLessThanOrEqual(recordedBy);
    });

    test('a record that is not a valid event is dropped alone; the rest of its batch is published', async () => {
      const sink = new MemorySink();
      const record = createAccessRecorder(sink, { sampleRate: 1, batchMs: 60_000 });
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
      record(access);
      record({ ...access, status: 99 }); // no HTTP status: the event schema refuses it
      record({ ...access, path: '/dog.jpg' });
      await record.flush();
      expect(sink.events.map((event) => (event.data as { path: string }).path)).toEqual(['/cat.jpg', '/dog.jpg']);
      expect(record.counts).toEqual({ sampled: 3, dropped: 1 });
      warn.mockRestore();
    });

    test('a failed batch counts every record in it as dropped', async () => {
      const sink = new MemorySink();
      sink.publish = async () => Promise.reject(new Error('disk full'));
      const record = createAccessRecorder(sink, { sampleRate: 1, batchMs: 60_000 });
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
      record(access);
      record(access);
      await record.flush();
      expect(record.counts).toEqual({ sampled: 2, dropped: 2 });
      warn.mockRestore();
    });
  });
});


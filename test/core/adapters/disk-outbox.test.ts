import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { bundleForNode } from '../../../scripts/bundle-node.mjs';
import { KafkaEventSink } from '../../../core/adapters/aws/kafka-event-sink.js';
import { DiskOutbox } from '../../../core/adapters/event-files/disk-outbox.js';
import { consumeTopic, renditionEvent, testKafka, uniqueTopic } from '../../helpers/events.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const outboxDir = () => mkdtemp(path.join(tmpdir(), 'shutter-outbox-'));

describe('DiskOutbox', () => {
  test('keeps unacknowledged events across a reopen, and forgets acknowledged ones', async () => {
    const dir = await outboxDir();
    const first = await DiskOutbox.open({ dir, segmentBytes: 3000 });
    const events = Array.from({ length: 20 }, (_, n) => renditionEvent(n));
    await first.append(events);
    expect(first.peek(3).map((entry) => entry.event.id)).toEqual(events.slice(0, 3).map((event) => event.id));
    await first.acknowledge(12);
    await first.close();

    const second = await DiskOutbox.open({ dir, segmentBytes: 3000 });
    expect(second.size).toBe(8);
    expect(second.peek(100).map((entry) => entry.event.id)).toEqual(events.slice(12).map((event) => event.id));
    await second.acknowledge(8);
    await second.close();
    const third = await DiskOutbox.open({ dir });
    expect(third.size).toBe(0);
    await third.close();
  });

  test('deletes segments once every event in them is acknowledged', async () => {
    const dir = await outboxDir();
    const outbox = await DiskOutbox.open({ dir, segmentBytes: 2000 });
    for (let n = 0; n < 20; n++) await outbox.append([renditionEvent(n)]);
    const segments = async () => (await readdir(dir)).filter((name) => name.endsWith('.jsonl'));
    expect((await segments()).length).toBeGreaterThan(4);
    await outbox.acknowledge(20);
    expect(await segments()).toHaveLength(1); // the segment still being appended to
    await outbox.close();
  });

  test('cuts off a torn last line (a crash mid-write) on open', async () => {
    const dir = await outboxDir();
    const outbox = await DiskOutbox.open({ dir });
    const events = [renditionEvent(1), renditionEvent(2)];
    await outbox.append(events);
    await outbox.close();
    const [segment] = (await readdir(dir)).filter((name) => name.endsWith('.jsonl'));
    await appendFile(path.join(dir, segment!), '{"specversion":"1.0","id":"torn');
    const reopened = await DiskOutbox.open({ dir });
    expect(reopened.peek(10).map((entry) => entry.event.id)).toEqual(events.map((event) => event.id));
    await reopened.append([renditionEvent(3)]);
    await reopened.close();
    expect((await DiskOutbox.open({ dir })).size).toBe(3);
  });

  test('when full, refuses appends with OutboxFull (503), logs an alarm metric and counts refusals', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const outbox = await DiskOutbox.open({ dir: await outboxDir(), maxBytes: 5000 });
      let accepted = 0;
      await expect(
        (async () => {
          for (;;) {
            await outbox.append([renditionEvent(accepted)]);
            accepted++;
          }
        })(),
      ).rejects.toMatchObject({ name: 'TransientError', code: 'Events::OutboxFull', status: 503 });
      expect(accepted).toBeGreaterThan(3);
      expect(outbox.stats()).toMatchObject({ queued: accepted, refused: 1 });
      expect(outbox.stats().queuedBytes).toBeLessThanOrEqual(5000);
      const alarm = JSON.parse(String(errors.mock.calls.at(-1)![0])) as Record<string, unknown>;
      expect(alarm).toMatchObject({ level: 'error', EventOutboxFull: 1, maxBytes: 5000 });
      expect(alarm._aws).toMatchObject({ CloudWatchMetrics: [{ Namespace: 'Shutter', Metrics: [{ Name: 'EventOutboxFull' }] }] });
      // Once the broker drained some, appends are accepted again.
      await outbox.acknowledge(accepted);
      await outbox.append([renditionEvent(999)]);
      await outbox.close();
    } finally {
      errors.mockRestore();
    }
  });
});

describe('the outbox across a process kill', () => {
  test('every event a killed producer saw as published reaches the broker after a restart', async () => {
    const script = path.join(here, '../../../node_modules/.cache/shutter-tests/outbox-writer.mjs');
    await bundleForNode(path.join(here, 'fixtures/outbox-writer.ts'), script);
    const dir = await outboxDir();
    const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const published = await new Promise<string[]>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.split('\n').length > 400 && !child.killed) child.kill('SIGKILL');
      });
      child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(stdout.split('\n').filter(Boolean)) : reject(new Error(`writer exited (${code}): ${stderr}`))));
    });
    expect(published.length).toBeGreaterThanOrEqual(400);

    const topic = uniqueTopic('killed');
    const sink = new KafkaEventSink({ kafka: testKafka(), topic, outbox: new DiskOutbox({ dir }) });
    await sink.flush(30_000);
    const left = sink.stats();
    expect(left.queued).toBe(0);
    expect(left.sent).toBeGreaterThanOrEqual(published.length);
    const { events } = await consumeTopic(topic, left.sent);
    const delivered = new Set(events.map((event) => event.id));
    expect(published.filter((id) => !delivered.has(id))).toEqual([]);
    await sink.close();
  }, 60_000);
});

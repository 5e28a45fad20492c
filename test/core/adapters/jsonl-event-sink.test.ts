import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonlEventSink } from '../../../core/adapters/local/jsonl-event-sink.js';
import type { ShutterEvent } from '../../../core/ports/event-sink.js';
import { renditionEvent } from '../../helpers/events.js';
import { eventSinkContract } from '../event-sink-contract.js';

async function readAll(dir: string): Promise<ShutterEvent[]> {
  const events: ShutterEvent[] = [];
  for (const partition of (await readdir(dir).catch(() => [])).sort()) {
    for (const file of (await readdir(path.join(dir, partition))).sort()) {
      const text = await readFile(path.join(dir, partition, file), 'utf8');
      events.push(...text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as ShutterEvent));
    }
  }
  return events;
}

eventSinkContract('JsonlEventSink', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'shutter-events-'));
  const sink = new JsonlEventSink({ dir });
  return { sink, readBack: () => readAll(dir), close: () => sink.close() };
});

describe('JsonlEventSink', () => {
  test('writes JSON lines under dt=YYYY-MM-DD of each event’s UTC time', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shutter-events-'));
    const sink = new JsonlEventSink({ dir });
    await sink.publish([renditionEvent(1, 7, new Date('2026-03-01T23:59:59Z')), renditionEvent(2, 7, new Date('2026-03-02T00:00:00Z'))]);
    await sink.close();
    expect((await readdir(dir)).sort()).toEqual(['dt=2026-03-01', 'dt=2026-03-02']);
    const [file] = await readdir(path.join(dir, 'dt=2026-03-01'));
    expect(file).toMatch(/^events-\d{8}T\d{9}Z-\d{4}-\d+-[0-9a-f]{6}\.jsonl$/);
    const lines = (await readFile(path.join(dir, 'dt=2026-03-01', file!), 'utf8')).split('\n');
    expect(lines).toHaveLength(2); // one line and the final newline
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'image.rendition.created', subject: 'images/photo-1.jpg' });
  });

  test('rotates to a new file once a file reaches the segment size, losing nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shutter-events-'));
    const sink = new JsonlEventSink({ dir, segmentBytes: 2000 });
    const events = Array.from({ length: 30 }, (_, n) => renditionEvent(n));
    for (const event of events) await sink.publish([event]);
    await sink.close();
    const files = await readdir(path.join(dir, 'dt=2026-03-01'));
    expect(files.length).toBeGreaterThan(5);
    expect((await readAll(dir)).map((event) => event.id)).toEqual(events.map((event) => event.id));
  });

  test('refuses to publish after close', async () => {
    const sink = new JsonlEventSink({ dir: await mkdtemp(path.join(tmpdir(), 'shutter-events-')) });
    await sink.close();
    await expect(sink.publish([renditionEvent(1)])).rejects.toThrow(/closed/);
  });
});

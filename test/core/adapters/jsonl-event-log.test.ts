import { mkdtemp } from 'node:fs/promises';
import { appendFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readEventLog } from '../../../core/adapters/local/jsonl-event-log.js';
import { JsonlEventSink } from '../../../core/adapters/local/jsonl-event-sink.js';
import { renditionEvent } from '../../helpers/events.js';

const collect = async (lines: AsyncGenerator<string>, max = Infinity) => {
  const out: string[] = [];
  for await (const line of lines) {
    out.push((JSON.parse(line) as { id: string }).id);
    if (out.length >= max) break;
  }
  return out;
};

describe('readEventLog', () => {
  test('reads every event, oldest day first, and follows new ones; a half-written line waits for its end', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shutter-events-'));
    const sink = new JsonlEventSink({ dir });
    const older = renditionEvent(1, 7, new Date('2026-02-28T10:00:00Z'));
    const newer = renditionEvent(2, 7, new Date('2026-03-01T10:00:00Z'));
    await sink.publish([newer, older]);
    expect(await collect(readEventLog(dir))).toEqual([older.id, newer.id]);

    const controller = new AbortController();
    const following = collect(readEventLog(dir, { follow: true, fromEnd: true, pollMs: 20, signal: controller.signal }), 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const [file] = await readdir(path.join(dir, 'dt=2026-03-01'));
    const later = renditionEvent(3, 7, new Date('2026-03-01T11:00:00Z'));
    const text = JSON.stringify(later) + '\n';
    await appendFile(path.join(dir, 'dt=2026-03-01', file!), text.slice(0, 40));
    await new Promise((resolve) => setTimeout(resolve, 60));
    await appendFile(path.join(dir, 'dt=2026-03-01', file!), text.slice(40));
    expect(await following).toEqual([later.id]);
    controller.abort();
    await sink.close();
  });

  test('an empty or missing folder yields nothing', async () => {
    expect(await collect(readEventLog(path.join(tmpdir(), 'shutter-no-such-folder')))).toEqual([]);
  });
});

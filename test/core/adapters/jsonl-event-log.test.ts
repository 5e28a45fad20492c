import { appendFile, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventLogEnd, readEventLog } from '../../../core/adapters/local/jsonl-event-log.js';
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

/** A log with one event on each of two days; `append` writes raw text to the newer day's file. */
async function twoDayLog() {
  const dir = await mkdtemp(path.join(tmpdir(), 'shutter-events-'));
  const sink = new JsonlEventSink({ dir });
  const older = renditionEvent(1, 7, new Date('2026-02-28T10:00:00Z'));
  const newer = renditionEvent(2, 7, new Date('2026-03-01T10:00:00Z'));
  await sink.publish([newer, older]);
  await sink.close();
  const [file] = await readdir(path.join(dir, 'dt=2026-03-01'));
  const append = (text: string) => appendFile(path.join(dir, 'dt=2026-03-01', file!), text);
  const later = [3, 4].map((n) => renditionEvent(n, 7, new Date('2026-03-01T11:00:00Z')));
  const line = (n: 3 | 4) => JSON.stringify(later[n - 3]) + '\n';
  const id = (n: 3 | 4) => later[n - 3]!.id;
  return { dir, older, newer, append, line, id };
}

// No sleeps: every step waits on what it needs, so a loaded machine only makes the test slower.
describe('readEventLog', () => {
  test('reads every event, oldest day first', async () => {
    const { dir, older, newer } = await twoDayLog();
    expect(await collect(readEventLog(dir))).toEqual([older.id, newer.id]);
  });

  test('from the end: the position is taken when asked, so a line appended before the reader first runs is not lost', async () => {
    const { dir, append, line, id } = await twoDayLog();
    const from = await eventLogEnd(dir);
    await append(line(3));
    const controller = new AbortController();
    const following = readEventLog(dir, { follow: true, from, pollMs: 20, signal: controller.signal });
    expect(await collect(following, 1)).toEqual([id(3)]);
    controller.abort();
  });

  test('a line half-written when the position is taken is read whole once it ends, never as a fragment', async () => {
    const { dir, append, line, id } = await twoDayLog();
    const text = line(3);
    await append(text.slice(0, 40));
    const from = await eventLogEnd(dir);
    expect(await collect(readEventLog(dir, { from }))).toEqual([]);
    await append(text.slice(40) + line(4));
    expect(await collect(readEventLog(dir, { from }))).toEqual([id(3), id(4)]);
  });

  test('follows new lines; a half-written line waits for its end', async () => {
    const { dir, append, line, id } = await twoDayLog();
    const from = await eventLogEnd(dir);
    const text = line(3);
    await append(text.slice(0, 40));
    const controller = new AbortController();
    const following = collect(readEventLog(dir, { follow: true, from, pollMs: 20, signal: controller.signal }), 1);
    // Whenever the reader polls now, it sees at most the first half: nothing to yield yet.
    expect(await collect(readEventLog(dir, { from }))).toEqual([]);
    await append(text.slice(40));
    expect(await following).toEqual([id(3)]);
    controller.abort();
  });

  test('an empty or missing folder yields nothing', async () => {
    const missing = path.join(tmpdir(), 'shutter-no-such-folder');
    expect(await collect(readEventLog(missing))).toEqual([]);
    expect((await eventLogEnd(missing)).size).toBe(0);
  });
});

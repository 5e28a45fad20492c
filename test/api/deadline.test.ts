import { withDeadline } from '../../api/deadline.js';

describe('withDeadline', () => {
  test('answers with the work when it is in time', async () => {
    expect(await withDeadline(1000, undefined, async () => 'done')).toBe('done');
  });

  test('past the deadline: 503 Server::Timeout, and the work is told to stop', async () => {
    let seen: AbortSignal | undefined;
    await expect(withDeadline(50, undefined, (signal) => ((seen = signal), new Promise(() => {})))).rejects.toMatchObject({ status: 503, code: 'Server::Timeout' });
    expect(seen?.aborted).toBe(true);
  });

  test('the client going away aborts the work too', async () => {
    const client = new AbortController();
    let seen: AbortSignal | undefined;
    const running = withDeadline(10_000, client.signal, (signal) => {
      seen = signal;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    });
    client.abort(new Error('gone'));
    await expect(running).rejects.toThrow('gone');
    expect(seen?.aborted).toBe(true);
  });
});

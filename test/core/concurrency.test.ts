import { Semaphore } from '../../core/concurrency.js';

const later = () => {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { done, release };
};

describe('Semaphore', () => {
  test('runs at most `limit` tasks, queues up to `maxQueue`, refuses beyond with 503 Server::Overloaded', async () => {
    const semaphore = new Semaphore(2, 1);
    const gates = [later(), later(), later()];
    const running = gates.map((gate) => semaphore.run(() => gate.done));
    expect(semaphore.running).toBe(2);
    expect(semaphore.pending).toBe(1);
    await expect(semaphore.run(async () => 'never')).rejects.toMatchObject({ status: 503, code: 'Server::Overloaded', name: 'TransientError' });
    for (const gate of gates) gate.release();
    await Promise.all(running);
    expect(semaphore.running).toBe(0);
    expect(await semaphore.run(async () => 'free again')).toBe('free again');
  });

  test('a queue of 0 sheds as soon as every slot is busy', async () => {
    const semaphore = new Semaphore(1, 0);
    const gate = later();
    const first = semaphore.run(() => gate.done);
    await expect(semaphore.run(async () => 'x')).rejects.toMatchObject({ code: 'Server::Overloaded' });
    gate.release();
    await first;
  });

  test('a failing task frees its slot', async () => {
    const semaphore = new Semaphore(1, 0);
    await expect(semaphore.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await semaphore.run(async () => 'ok')).toBe('ok');
  });
});

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

  test('weights: light tasks share a unit, a heavy one holds it alone, and waiters keep their order', async () => {
    const semaphore = new Semaphore(1);
    const gates = [later(), later(), later(), later()];
    const started: string[] = [];
    const run = (name: string, weight: number, gate: ReturnType<typeof later>) =>
      semaphore.run(async () => {
        started.push(name);
        await gate.done;
      }, weight);
    const halves = [run('half 1', 0.5, gates[0]!), run('half 2', 0.5, gates[1]!)];
    const whole = run('whole', 1, gates[2]!);
    // A light task behind the heavy one waits its turn even though half a unit frees first.
    const late = run('half 3', 0.5, gates[3]!);
    await Promise.resolve();
    expect(started).toEqual(['half 1', 'half 2']);
    expect(semaphore.running).toBe(2);
    gates[0]!.release();
    await halves[0];
    expect(started).toEqual(['half 1', 'half 2']);
    gates[1]!.release();
    await halves[1];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['half 1', 'half 2', 'whole']);
    gates[2]!.release();
    await whole;
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['half 1', 'half 2', 'whole', 'half 3']);
    gates[3]!.release();
    await late;
    expect(semaphore.running).toBe(0);
  });

  test('a weight above the limit runs alone instead of never', async () => {
    const semaphore = new Semaphore(2);
    expect(await semaphore.run(async () => 'big', 5)).toBe('big');
  });
});


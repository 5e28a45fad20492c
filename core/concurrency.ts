/**
 * A counting semaphore with a bounded queue: work beyond `limit` waits, and beyond
 * `limit + maxQueue` is refused at once (the caller answers 503 + Retry-After) instead of
 * queueing without bound.
 *
 * A task may take less (or more) than one unit of the limit (`weight`): the render gate gives a
 * small image a share of a render slot, so several small renders overlap where one large one
 * holds the slot alone. Waiters are served in arrival order, so a heavy task at the head of the
 * queue is never starved by light ones behind it.
 */
import { TransientError } from './errors.js';
import { thenSettled } from './then-settled.js';

export class Semaphore {
  /** Units of the limit held by the tasks running now. */
  private held = 0;
  private tasks = 0;
  private readonly waiting: Array<{ weight: number; wake: () => void }> = [];

  constructor(
    readonly limit: number,
    readonly maxQueue = Number.POSITIVE_INFINITY,
    /** Called whenever the running or waiting count changes (gauges). */
    private readonly onChange: (running: number, pending: number) => void = () => {},
  ) {}

  get pending(): number {
    return this.waiting.length;
  }

  /** Tasks running now (not units: see {@link Semaphore.run}'s `weight`). */
  get running(): number {
    return this.tasks;
  }

  /** True when `run` would refuse at once: lets a caller shed before doing any work of its own. */
  get saturated(): boolean {
    return this.held >= this.limit && this.waiting.length >= this.maxQueue;
  }

  /**
   * Runs `task` once `weight` units are free (default 1). A weight above the limit is taken as
   * the whole limit, so it runs alone rather than never.
   *
   * Written with `then` rather than as an async function: three semaphores sit on every render's
   * path, and each async layer is promises and microtasks on the event loop a small render shares.
   */
  run<T>(task: () => Promise<T>, weight = 1): Promise<T> {
    const units = Math.min(weight, this.limit);
    if (this.waiting.length > 0 || this.held + units > this.limit) {
      if (this.waiting.length >= this.maxQueue) return Promise.reject(overloaded());
      const turn = new Promise<void>((wake) => this.waiting.push({ weight: units, wake }));
      this.onChange(this.tasks, this.waiting.length);
      return turn.then(() => this.start(task, units));
    }
    this.take(units);
    return this.start(task, units);
  }

  /** Runs a task whose units are taken; they are given back when it has settled, before its caller resumes. */
  private start<T>(task: () => Promise<T>, units: number): Promise<T> {
    this.onChange(this.tasks, this.waiting.length);
    return thenSettled(
      task,
      (value) => {
        this.release(units);
        return value;
      },
      (error: unknown) => {
        this.release(units);
        throw error;
      },
    );
  }

  private release(units: number): void {
    this.held -= units;
    this.tasks--;
    // Wake waiters in order while the head fits: a light one never overtakes a heavy one.
    while (this.waiting.length > 0 && this.held + this.waiting[0]!.weight <= this.limit + 1e-9) {
      const next = this.waiting.shift()!;
      this.take(next.weight);
      next.wake();
    }
    this.onChange(this.tasks, this.waiting.length);
  }

  private take(units: number): void {
    this.held += units;
    this.tasks++;
  }
}

/** The 503 a full semaphore answers; the response carries Retry-After. */
export function overloaded(): TransientError {
  return new TransientError('Server::Overloaded', 'The server is busy. Please retry shortly.', 503);
}

/**
 * A counting semaphore with a bounded queue: work beyond `limit` waits, and beyond
 * `limit + maxQueue` is refused at once (the caller answers 503 + Retry-After) instead of
 * queueing without bound.
 */
import { TransientError } from './errors.js';

export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly limit: number,
    readonly maxQueue = Number.POSITIVE_INFINITY,
    /** Called whenever the running or waiting count changes (gauges). */
    private readonly onChange: (running: number, pending: number) => void = () => {},
  ) {}

  get pending(): number {
    return this.waiting.length;
  }

  get running(): number {
    return this.active;
  }

  /** True when `run` would refuse at once: lets a caller shed before doing any work of its own. */
  get saturated(): boolean {
    return this.active >= this.limit && this.waiting.length >= this.maxQueue;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      if (this.waiting.length >= this.maxQueue) {
        throw overloaded();
      }
      const turn = new Promise<void>((resolve) => this.waiting.push(resolve));
      this.onChange(this.active, this.waiting.length);
      await turn;
    } else this.active++;
    this.onChange(this.active, this.waiting.length);
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
      this.onChange(this.active, this.waiting.length);
    }
  }
}

/** The 503 a full semaphore answers; the response carries Retry-After. */
export function overloaded(): TransientError {
  return new TransientError('Server::Overloaded', 'The server is busy. Please retry shortly.', 503);
}

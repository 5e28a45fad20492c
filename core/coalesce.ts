/**
 * Request coalescing: identical work asked for while it is already running is not started again;
 * every caller gets the result (or the error) of the one run. A burst of requests for the same
 * new image (a page going live, a CDN miss storm) then costs one read and one render.
 */
import { thenSettled } from './then-settled.js';

export class Coalescer<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** Keys being worked on now. */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Runs `work` unless work for `key` is already running, in which case its promise is shared.
   * The key is forgotten as soon as the work settles: later calls start afresh (caching results
   * is the result cache's job, not this one's). It is forgotten at once when `signal` (the
   * starting caller's deadline) aborts: that work is ending with the abort's error, so a request
   * arriving after it must start its own, not share an error that is not its own.
   *
   * @example
   * const renders = new Coalescer<Buffer>();
   * const [a, b] = await Promise.all([renders.run('k', render), renders.run('k', render)]); // one render
   */
  run(key: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) return running;
    let settle!: { resolve: (value: T) => void; reject: (error: unknown) => void };
    const promise = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
    // Only this run's own entry: after an abort, a newer run may hold the key.
    const forget = () => {
      if (this.inFlight.get(key) === promise) this.inFlight.delete(key);
    };
    const done = () => {
      forget();
      signal?.removeEventListener('abort', forget);
    };
    // Recorded before `work` starts, so even work that settles at once (or throws synchronously)
    // is forgotten after, never before, it was recorded; callers see the result once it is forgotten.
    this.inFlight.set(key, promise);
    if (signal?.aborted) forget();
    else signal?.addEventListener('abort', forget, { once: true });
    void thenSettled(
      work,
      (value) => {
        done();
        settle.resolve(value);
      },
      (error: unknown) => {
        done();
        settle.reject(error);
      },
    );
    return promise;
  }
}

/**
 * Request coalescing: identical work asked for while it is already running is not started again;
 * every caller gets the result (or the error) of the one run. A burst of requests for the same
 * new image (a page going live, a CDN miss storm) then costs one read and one render.
 */
export class Coalescer<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** Keys being worked on now. */
  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Runs `work` unless work for `key` is already running, in which case its promise is shared.
   * The key is forgotten as soon as the work settles: later calls start afresh (caching results
   * is the result cache's job, not this one's).
   *
   * @example
   * const renders = new Coalescer<Buffer>();
   * const [a, b] = await Promise.all([renders.run('k', render), renders.run('k', render)]); // one render
   */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) return running;
    // `work` starts on the next microtask, after the key is recorded, so even work that settles at
    // once (or throws synchronously) is forgotten after, never before, it was recorded.
    const promise = Promise.resolve()
      .then(work)
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }
}

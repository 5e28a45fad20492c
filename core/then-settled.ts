/**
 * `work().then(fulfilled, rejected)`, with a synchronous throw from `work` handed to `rejected` at
 * once, and no promise but the one `then` makes: how the request path's gates (semaphores, the
 * coalescer, the deadline) run their work without an async layer, whose promises and microtasks a
 * small render's main thread pays for (bench/README.md, "Session 7: small images at 8 in flight").
 */
export function thenSettled<T, R>(
  work: () => Promise<T>,
  fulfilled: (value: T) => R | PromiseLike<R>,
  rejected: (error: unknown) => R | PromiseLike<R>,
): Promise<R> {
  let running: Promise<T>;
  try {
    running = work();
  } catch (error) {
    try {
      return Promise.resolve(rejected(error));
    } catch (thrown) {
      return Promise.reject(thrown);
    }
  }
  return running.then(fulfilled, rejected);
}

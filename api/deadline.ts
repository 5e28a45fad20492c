/**
 * The request deadline: no on-demand request outlives `REQUEST_TIMEOUT_MS`. The work gets an
 * AbortSignal (storage reads and renders stop early when they honour it), and the answer does
 * not wait for work that ignores it: past the deadline the caller gets a 503 + Retry-After.
 */
import { TransientError } from '../core/errors.js';
import { thenSettled } from '../core/then-settled.js';

/**
 * Runs `work` with a signal that aborts at the deadline or when `parent` aborts (the client went
 * away). Rejects with `Server::Timeout` (503) once the deadline passes, whatever `work` is doing.
 *
 * @example
 *   const image = await withDeadline(25_000, request.signal, (signal) => storage.get(b, k, { signal }));
 */
export function withDeadline<T>(
  timeoutMs: number,
  parent: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  // One promise settled by whichever comes first (no race of two, no async wrapper): on every
  // request's path, each promise and wake-up of the event loop weighs on a small render's main thread.
  return new Promise<T>((resolve, reject) => {
    const onParentAbort = () => controller.abort(parent?.reason);
    const settle = () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    };
    const timer = setTimeout(() => {
      settle();
      // Made only when it happens: an error's stack trace is a measurable part of a small render.
      const timedOut = new TransientError('Server::Timeout', `The request took longer than ${timeoutMs} ms. Please retry.`, 503);
      controller.abort(timedOut);
      reject(timedOut);
    }, timeoutMs);
    parent?.addEventListener('abort', onParentAbort, { once: true });
    void thenSettled(
      () => work(controller.signal),
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}

/**
 * The request deadline: no on-demand request outlives `REQUEST_TIMEOUT_MS`. The work gets an
 * AbortSignal (storage reads and renders stop early when they honour it), and the answer does
 * not wait for work that ignores it: past the deadline the caller gets a 503 + Retry-After.
 */
import { TransientError } from '../core/errors.js';

/**
 * Runs `work` with a signal that aborts at the deadline or when `parent` aborts (the client went
 * away). Rejects with `Server::Timeout` (503) once the deadline passes, whatever `work` is doing.
 *
 * @example
 *   const image = await withDeadline(25_000, request.signal, (signal) => storage.get(b, k, { signal }));
 */
export async function withDeadline<T>(
  timeoutMs: number,
  parent: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Made only when it happens: an error's stack trace is a measurable part of a small render.
      const timedOut = new TransientError('Server::Timeout', `The request took longer than ${timeoutMs} ms. Please retry.`, 503);
      controller.abort(timedOut);
      reject(timedOut);
    }, timeoutMs);
  });
  const onParentAbort = () => controller.abort(parent?.reason);
  parent?.addEventListener('abort', onParentAbort, { once: true });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
  }
}

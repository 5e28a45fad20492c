import { ShutterError, TransientError } from '../errors.js';

/**
 * Calls the analyzer (smart crop, moderation) so that its failures reach the client as clean
 * errors: our own errors keep their meaning; anything else (a model crash, a throttled or
 * unreachable Rekognition, a timeout) is a 503 `Analyzer::Unavailable` with Retry-After, its
 * detail kept as `cause` for the logs and never shown to the client.
 *
 * The call is abandoned when `signal` aborts (the request's deadline), even if the analyzer
 * ignores the signal: a hung analyzer must not keep a render slot busy for ever.
 */
export async function callAnalyzer<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await (signal ? untilAborted(call(), signal) : call());
  } catch (error) {
    if (error instanceof ShutterError) throw error;
    throw new TransientError('Analyzer::Unavailable', `The image analyzer failed: ${(error as Error)?.message ?? String(error)}`, 503, {
      cause: error,
    });
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

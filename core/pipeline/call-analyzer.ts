import { ShutterError, TransientError } from '../errors.js';

/**
 * Calls the analyzer (smart crop, moderation) so that its failures reach the client as clean
 * errors: our own errors keep their meaning; anything else (a model crash, a throttled or
 * unreachable Rekognition, a timeout) is a 503 `Analyzer::Unavailable` with Retry-After, its
 * detail kept as `cause` for the logs and never shown to the client.
 */
export async function callAnalyzer<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ShutterError) throw error;
    throw new TransientError('Analyzer::Unavailable', `The image analyzer failed: ${(error as Error)?.message ?? String(error)}`, 503, {
      cause: error,
    });
  }
}

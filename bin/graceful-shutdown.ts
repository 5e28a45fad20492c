/**
 * Graceful shutdown with a hard deadline: the first SIGTERM/SIGINT runs the stop steps (drain
 * requests, close the engine, deliver events) and exits 0; a second signal exits at once; and if
 * the steps have not finished by `hardLimitMs`, the process exits 1 anyway.
 *
 * The deadline is what makes SIGTERM reliable: native work that nothing can stop (a libvips
 * render that ignores its timeout) occupies libuv's thread pool, and every file operation of the
 * stop steps queues behind it. Without a deadline the process outlived SIGTERM for minutes.
 *
 * @example
 *   const stop = gracefulShutdown(async () => { await server.close(); }, { hardLimitMs: 40_000, log });
 *   process.on('SIGTERM', () => void stop('SIGTERM'));
 */
export interface ShutdownOptions {
  hardLimitMs: number;
  log: (message: string, fields: Record<string, unknown>) => void;
  /** Injected by tests; `process.exit` otherwise. */
  exit?: (code: number) => void;
}

export function gracefulShutdown(steps: (signal: string) => Promise<void>, options: ShutdownOptions): (signal: string) => Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  return async function stop(signal: string): Promise<void> {
    if (stopping) {
      options.log('exiting without waiting', { signal });
      exit(1);
      return;
    }
    stopping = true;
    // Unref'd: when the steps finish first, the timer must not keep the process alive.
    const watchdog = setTimeout(() => {
      options.log('exiting: shutdown did not finish in time', { signal, hardLimitMs: options.hardLimitMs });
      exit(1);
    }, options.hardLimitMs).unref();
    try {
      await steps(signal);
      clearTimeout(watchdog);
      exit(0);
    } catch (error) {
      clearTimeout(watchdog);
      options.log('shutdown failed', { signal, error: String(error) });
      exit(1);
    }
  };
}

/**
 * Structured JSON logs (pino): one line per event, with request and execution ids as fields.
 * The server, the workflow tasks (locally and in Lambda) and the CLI all log through here, so
 * every line has the same shape (`level`, `time`, `service`, `msg`, then fields) and the same
 * redaction. The level comes from config (LOG_LEVEL) through `setLogLevel`, called by the
 * composition root.
 */
import { pino, type DestinationStream } from 'pino';

/** Never log a secret or a signature, whatever a caller passes in. */
const REDACT = ['*.signature', '*.secret', '*.authorization', 'query.signature', 'headers.authorization', 'headers.cookie'];

/**
 * A logger with shutter's line shape. `destination` defaults to stdout (CloudWatch in Lambda);
 * tests pass a stream to read the lines back.
 *
 * @example
 * const lines: string[] = [];
 * const log = createLogger({ destination: { write: (line) => lines.push(line) } });
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}) {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'shutter' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    options.destination ?? stdout(),
  );
}

/**
 * Standard output, written synchronously as Node itself writes `process.stdout` to files and pipes
 * on Linux (and as the Lambda runtime writes console lines). pino's default writes asynchronously:
 * every line a trip through libuv's thread pool, which renders keep busy: the request log line was
 * the one trip per small render that raw sharp does not make, up to ~0.2 ms of CPU on the loaded
 * machine (bench/README.md, session 5). The price: a reader that stops reading stdout stalls the
 * process, as it would stall any `console.log`.
 */
function stdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: true });
}

export const logger = createLogger();

export type Logger = ReturnType<typeof createLogger>;

/** Writes nothing: for commands that report in their own way (a progress bar) and for tests. */
export const silentLogger: Logger = createLogger({ level: 'silent' });

export function setLogLevel(level: string): void {
  logger.level = level;
}

/**
 * Structured JSON logs (pino): one line per event, with request and execution ids as fields.
 * The server, the workflow tasks (locally and in Lambda) and the CLI all log through here, so
 * every line has the same shape (`level`, `time`, `service`, `msg`, then fields) and the same
 * redaction. The level comes from config (LOG_LEVEL) through `setLogLevel`, called by the
 * composition root.
 */
import { pino, type DestinationStream } from 'pino';

/** Never log a secret or a signature, whatever a caller passes in: these keys of any object a line carries at its top level. */
const SECRET_KEYS = ['signature', 'secret', 'authorization'] as const;
/** And a request's cookies (`headers.cookie`). */
const HEADER_SECRET_KEYS = [...SECRET_KEYS, 'cookie'] as const;
const CENSOR = '[redacted]';

/**
 * The fields of a line (or a child logger's bindings) with every secret censored, copied only where
 * one is present. pino's own `redact` with wildcard paths (`*.signature`) sends every field of every
 * line through its redactor, strings and numbers included: half the cost of the request's log line
 * (bench/README.md, session 6). Same paths, same censor, one look at the top-level objects.
 */
function censorSecrets<T extends Record<string, unknown>>(fields: T): T {
  let censored = fields;
  for (const name in fields) {
    const value = fields[name];
    if (typeof value !== 'object' || value === null) continue;
    const hidden = (name === 'headers' ? HEADER_SECRET_KEYS : SECRET_KEYS).filter((key) => Object.hasOwn(value, key));
    if (hidden.length === 0) continue;
    if (censored === fields) censored = { ...fields };
    (censored as Record<string, unknown>)[name] = { ...value, ...Object.fromEntries(hidden.map((key) => [key, CENSOR])) };
  }
  return censored;
}

/**
 * A logger with shutter's line shape. `destination` defaults to stdout (CloudWatch in Lambda);
 * tests pass a stream to read the lines back.
 *
 * @example
 * const lines: string[] = [];
 * const log = createLogger({ destination: { write: (line) => lines.push(line) } });
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}) {
  const log = pino(
    {
      level: options.level ?? 'info',
      base: { service: 'shutter' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: censorSecrets },
    },
    options.destination ?? stdout(),
  );
  // pino gives a child's bindings no formatter: they are censored on their way in. Children
  // inherit this `child` (pino makes each one from its parent), so grandchildren are too.
  const child = log.child;
  log.child = function (this: typeof log, bindings, ...rest) {
    return child.call(this, censorSecrets(bindings), ...rest);
  } as typeof log.child;
  return log;
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

/// <reference types="node" />
// For programs that reach this module through type imports only (the console's has `types: []`).
/**
 * Structured JSON logs (pino): one line per event, with request and execution ids as fields.
 * The server, the workflow tasks (locally and in Lambda) and the CLI all log through here, so
 * every line has the same shape (`level`, `time`, `service`, `msg`, then fields) and the same
 * redaction. The level comes from config (LOG_LEVEL) through `setLogLevel`, called by the
 * composition root.
 *
 * The logger is pino's own light build (`pino/browser.js`: pino's API, levels and child loggers,
 * without its Node transports; secrets censored by `censorSecrets`), writing each line to stdout
 * itself. pino's Node build loads thread-stream, sonic-boom and its transports machinery with it,
 * ~0.1× of `import('sharp')` on every Lambda cold start (bench/README.md, "Session 6: image Lambda
 * cold start"), for nothing shutter uses: it writes to stdout, synchronously. The light build costs
 * less per line too (6 vs 9 µs of CPU for the access line, same session; 2 µs with `censorSecrets`).
 */
import { writeSync } from 'node:fs';
import type { pino as Pino } from 'pino';
// @ts-expect-error pino declares types for its main entry only; its light build has the same API (`Pino` below).
import lightBuild from 'pino/browser.js';

const pino = lightBuild as typeof Pino;

/** Never log a secret or a signature, whatever a caller passes in: these keys of any object a line carries at its top level. */
const SECRET_KEYS = ['signature', 'secret', 'authorization'] as const;
/** And a request's cookies (`headers.cookie`). */
const HEADER_SECRET_KEYS = [...SECRET_KEYS, 'cookie'] as const;
const CENSOR = '[redacted]';

/**
 * A line (its fields and its child loggers' bindings, which pino's light build merges in first)
 * with every secret censored, copied only where one is present. pino's `redact` with wildcard paths
 * (`*.signature`) cost 3.0 of a request line's 4.9 µs (bench/README.md, "Session 6: small images"):
 * the same paths and censor, by one look at the line's top-level objects.
 */
function censorSecrets(line: Record<string, unknown>): Record<string, unknown> {
  let censored = line;
  for (const name in line) {
    const value = line[name];
    if (typeof value !== 'object' || value === null) continue;
    const hidden = (name === 'headers' ? HEADER_SECRET_KEYS : SECRET_KEYS).filter((key) => Object.hasOwn(value, key));
    if (hidden.length === 0) continue;
    if (censored === line) censored = { ...line };
    censored[name] = { ...value, ...Object.fromEntries(hidden.map((key) => [key, CENSOR])) };
  }
  return censored;
}

/** Where lines go: one call per line, newline included. */
export interface LogDestination {
  write(line: string): unknown;
}

/**
 * A logger with shutter's line shape. `destination` defaults to stdout (CloudWatch in Lambda);
 * tests pass one to read the lines back.
 *
 * @example
 * const lines: string[] = [];
 * const log = createLogger({ destination: { write: (line) => lines.push(line) } });
 */
export function createLogger(options: { level?: string; destination?: LogDestination } = {}) {
  const destination = options.destination ?? stdout;
  return pino({
    level: options.level ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    browser: {
      // An error's fields first, so a secret among them is censored too.
      formatters: { level: (label) => ({ level: label }), log: (line) => censorSecrets(withErrorFields(line)) },
      write: (line) => destination.write(`${serialize(line as Record<string, unknown>)}\n`),
    },
  }).child({ service: 'shutter' });
}

/**
 * An `err` field as pino's Node build writes it (its standard serializer): `type`, `message`,
 * `stack` and the error's own fields (`code`, ...). Other Error values serialize as `{}`, as there.
 * `type` is the error's `name`, not its class's: the Lambda bundles minify class names, and
 * shutter's errors and the AWS SDK's carry their names as literals.
 */
function withErrorFields(line: Record<string, unknown>): Record<string, unknown> {
  const error = line.err;
  if (!(error instanceof Error)) return line;
  return { ...line, err: { ...error, type: error.name, message: error.message, stack: error.stack } };
}

/** A field JSON cannot write (a cycle, a BigInt) costs the line its fields, never the caller an exception. */
function serialize(line: Record<string, unknown>): string {
  try {
    return JSON.stringify(line);
  } catch (error) {
    const { level, time, service, msg } = line;
    return JSON.stringify({ level, time, service, msg, logError: `fields not serializable: ${(error as Error).message}` });
  }
}

/**
 * Standard output, written synchronously as Node itself writes `process.stdout` to files and pipes
 * on Linux (and as the Lambda runtime writes console lines): asynchronous writes would cost a trip
 * through libuv's thread pool per line, which renders keep busy (bench/README.md, session 5). The
 * price: a reader that stops reading stdout stalls the process, as it would stall any `console.log`.
 * A pipe someone made non-blocking (EAGAIN when full) gets the line through `process.stdout`,
 * which queues it; a stdout nobody reads any more (EPIPE) loses the line, never fails the caller.
 */
const stdout: LogDestination = {
  write(line) {
    try {
      writeSync(1, line);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') process.stdout.write(line);
    }
  },
};

export const logger = createLogger();

export type Logger = ReturnType<typeof createLogger>;

/** Writes nothing: for commands that report in their own way (a progress bar) and for tests. */
export const silentLogger: Logger = createLogger({ level: 'silent' });

export function setLogLevel(level: string): void {
  logger.level = level;
}

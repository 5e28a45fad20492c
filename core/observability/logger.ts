/**
 * Structured JSON logs (pino): one line per event, with request and execution ids as fields.
 * The level comes from config (LOG_LEVEL) through `setLogLevel`, called by the composition root.
 */
import { pino } from 'pino';

export const logger = pino({
  base: { service: 'shutter' },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  // Never log a secret or a signature, whatever a caller passes in.
  redact: { paths: ['*.signature', '*.secret', '*.authorization', 'query.signature', 'headers.authorization', 'headers.cookie'], censor: '[redacted]' },
});

export type Logger = typeof logger;

export function setLogLevel(level: string): void {
  logger.level = level;
}

/**
 * Turns whatever a task throws into the error names the state machine's Retry and Catch match
 * (`RETRYABLE_ERROR_NAMES` and `TERMINAL_ERROR_NAMES` in core/errors.ts): shutter's own errors
 * keep their name; passing faults of a dependency (throttling, 5xx, timeouts, dropped
 * connections) become `TransientError`; anything else is an internal fault, caught, not retried.
 *
 * A Lambda error crosses to Step Functions as a name and a message only, so the stable code
 * travels in the message: `[ImageSource::CorruptImage] The source image is corrupt.`
 */
import type { MiddlewareObj, Request } from '@middy/core';
import { z } from 'zod';
import { ShutterError, TransientError, toShutterError } from '../../core/errors.js';

const Options = z.strictObject({ task: z.string().optional() });

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'TimeoutError',
]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'EMFILE', 'ENFILE', 'EBUSY']);

/** The ShutterError an arbitrary failure stands for. */
export function classifyError(error: unknown): ShutterError {
  if (error instanceof ShutterError) return error;
  const candidate = error as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = candidate?.$metadata?.httpStatusCode;
  const transient =
    !!candidate &&
    (TRANSIENT_NAMES.has(candidate.name ?? '') ||
      TRANSIENT_CODES.has(candidate.code ?? '') ||
      candidate.$retryable !== undefined ||
      (status !== undefined && (status >= 500 || status === 429)));
  if (transient) {
    const message = error instanceof Error ? error.message : String(error);
    return new TransientError('Dependency::Unavailable', `A dependency failed and may recover: ${message}`, 503, { cause: error });
  }
  return toShutterError(error);
}

/**
 * The error as it crosses into the state machine: the name Retry/Catch match, the code (and the
 * task that failed, for the failure event) in the message: `[code|task] message`.
 */
export function wireError(error: ShutterError, task?: string): Error {
  const wire = new Error(`[${error.code}${task ? `|${task}` : ''}] ${error.message}`);
  wire.name = error.name;
  return wire;
}

/** Parses `[code|task] message` back (the failure handler does, from the Catch's `Cause`). */
export function parseWireMessage(text: string): { code: string | undefined; task: string | undefined; message: string } {
  const match = /^\[([^\]\s|]+)(?:\|([^\]\s]+))?\] ([\s\S]*)$/.exec(text);
  return match ? { code: match[1], task: match[2], message: match[3]! } : { code: undefined, task: undefined, message: text };
}

export function mapErrors(options: { task?: string } = {}): MiddlewareObj {
  const { task } = Options.parse(options);
  const mapErrorsOnError = (request: Request): void => {
    if (!request.error) return;
    const classified = classifyError(request.error);
    (request.internal as Record<string, unknown>).shutterError = classified;
    request.error = wireError(classified, task);
  };
  return { onError: mapErrorsOnError };
}

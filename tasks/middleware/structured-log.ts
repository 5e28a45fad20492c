/**
 * One JSON log line per task invocation, through the server's logger (same shape, same
 * redaction), with the task, execution, image and request ids and the duration: `info` when it
 * succeeds, `warn` for a retryable failure, `error` otherwise.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import { z } from 'zod';
import { RETRYABLE_ERROR_NAMES, type ShutterError } from '../../core/errors.js';
import type { Logger } from '../../core/observability/logger.js';

const Options = z.strictObject({
  task: z.string().min(1),
  logger: z.custom<(request: Request) => Logger | undefined>((value) => typeof value === 'function', 'a function'),
});

export function structuredLog(options: { task: string; logger: (request: Request) => Logger | undefined }): MiddlewareObj {
  const { task, logger } = Options.parse(options);
  const ids = (request: Request) => {
    const event = (request.event ?? {}) as { executionId?: unknown; imageId?: unknown };
    return {
      task,
      ...(typeof event.executionId === 'string' ? { executionId: event.executionId } : {}),
      ...(typeof event.imageId === 'string' ? { imageId: event.imageId } : {}),
      ...(request.context?.awsRequestId ? { requestId: request.context.awsRequestId } : {}),
    };
  };
  const started = (request: Request) => ((request.internal as Record<string, unknown>).startedAt as number | undefined) ?? performance.now();
  const structuredLogBefore = (request: Request): void => {
    (request.internal as Record<string, unknown>).startedAt = performance.now();
  };
  const structuredLogAfter = (request: Request): void => {
    logger(request)?.info({ ...ids(request), ms: Math.round(performance.now() - started(request)) }, 'task succeeded');
  };
  const structuredLogOnError = (request: Request): void => {
    const error = ((request.internal as Record<string, unknown>).shutterError as ShutterError | undefined) ?? request.error;
    const retryable = (RETRYABLE_ERROR_NAMES as readonly string[]).includes(error?.name ?? '');
    logger(request)?.[retryable ? 'warn' : 'error'](
      {
        ...ids(request),
        ms: Math.round(performance.now() - started(request)),
        error: error?.name,
        ...(error && 'code' in error ? { code: (error as ShutterError).code } : {}),
        message: error?.message,
      },
      'task failed',
    );
  };
  return { before: structuredLogBefore, after: structuredLogAfter, onError: structuredLogOnError };
}

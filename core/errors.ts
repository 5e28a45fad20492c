/**
 * One error vocabulary for every door, task and adapter.
 *
 * Each error carries an HTTP `status`, a stable `code` (SIH's codes where SIH has one), and a
 * public message. Messages of errors below 500 are shown to clients; 5xx messages are replaced
 * by a generic one so internals never leak. The `name` of each class is a string literal, not
 * `constructor.name`, because minifiers rename classes and Step Functions Retry/Catch match
 * on these names (see {@link RETRYABLE_ERROR_NAMES}).
 */
export class ShutterError extends Error {
  override name: string = 'ShutterError';
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
  }

  /** The message a client may see: never the detail of a server fault. */
  get publicMessage(): string {
    return this.status < 500 ? this.message : 'Internal error. Please contact the system administrator.';
  }

  toJSON(): { status: number; code: string; message: string } {
    return { status: this.status, code: this.code, message: this.publicMessage };
  }
}

/** The request is malformed or asks for something invalid (4xx). Never retried. */
export class RequestError extends ShutterError {
  override name = 'RequestError' as const;
  constructor(code: string, message: string, status = 400, options?: { cause?: unknown }) {
    super(status, code, message, options);
  }
}

/** The caller may not have this (signature, bucket allow-list, presets-only mode). */
export class AccessError extends ShutterError {
  override name = 'AccessError' as const;
  constructor(code: string, message: string, status = 403, options?: { cause?: unknown }) {
    super(status, code, message, options);
  }
}

/** The source object does not exist. */
export class NotFoundError extends ShutterError {
  override name = 'NotFoundError' as const;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(404, code, message, options);
  }
}

/** The image itself is unusable: corrupt, unsupported, or beyond a limit. A client error, not a crash. */
export class ImageError extends ShutterError {
  override name = 'ImageError' as const;
  constructor(code: string, message: string, status = 422, options?: { cause?: unknown }) {
    super(status, code, message, options);
  }
}

/** A dependency failed in a way that may pass (throttling, timeouts, 5xx from S3). Retried. */
export class TransientError extends ShutterError {
  override name = 'TransientError' as const;
  constructor(code: string, message: string, status = 503, options?: { cause?: unknown }) {
    super(status, code, message, options);
  }
}

/** A feature is configured off or not available in this deployment. */
export class NotImplementedError extends ShutterError {
  override name = 'NotImplementedError' as const;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(501, code, message, options);
  }
}

/** Configuration is invalid; reported once, at start, with every problem listed. */
export class ConfigError extends ShutterError {
  override name = 'ConfigError' as const;
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(500, 'ConfigError', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** Error names that Step Functions Retry matches: the failure may pass on its own. */
export const RETRYABLE_ERROR_NAMES = ['TransientError'] as const;
/** Error names that Step Functions Catch routes to the failure path at once. */
export const TERMINAL_ERROR_NAMES = [
  'RequestError',
  'AccessError',
  'NotFoundError',
  'ImageError',
  'NotImplementedError',
  'ConfigError',
] as const;

/** Wraps anything thrown into a ShutterError, keeping the original as `cause`. */
export function toShutterError(error: unknown): ShutterError {
  if (error instanceof ShutterError) return error;
  return new ShutterError(500, 'InternalError', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}

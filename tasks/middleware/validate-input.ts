/**
 * Validates a task's input against its zod schema before the task runs; a bad input is a
 * `RequestError` (`Task::InvalidInput`) naming every problem, which the state machine routes
 * to the failure path at once (never retried: the same input fails the same way).
 */
import type { MiddlewareObj, Request } from '@middy/core';
import { z } from 'zod';
import { RequestError } from '../../core/errors.js';

const Options = z.strictObject({ schema: z.custom<z.ZodType>((value) => value instanceof z.ZodType, 'a zod schema') });

export function validateInput(options: { schema: z.ZodType }): MiddlewareObj {
  const { schema } = Options.parse(options);
  const validateInputBefore = (request: Request): void => {
    const result = schema.safeParse(request.event);
    if (!result.success) {
      const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`);
      throw new RequestError('Task::InvalidInput', `The task input is invalid: ${problems.join('; ')}.`);
    }
    request.event = result.data;
  };
  return { before: validateInputBefore };
}

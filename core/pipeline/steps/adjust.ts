import type { Sharp } from 'sharp';
import { RequestError } from '../../errors.js';
import { SHARP_OPERATIONS, type SharpOperation } from '../../edits.js';
import { fitsOutputLimits, plannedOperationSize } from '../plan-geometry.js';
import type { Step } from '../render-context.js';
import { outputTooLarge } from './resize.js';

const OPERATIONS = new Set(Object.keys(SHARP_OPERATIONS));

/**
 * SIH's allow-listed sharp operations, applied in the order the request lists them.
 * `false` skips an operation, `true` calls it with sharp's defaults, anything else is passed as
 * its single argument (SIH's convention), except the few sharp methods that take two. Operations
 * that grow the image (extend, affine, rotate) are checked against the output limits first.
 */
export const adjust: Step = {
  name: 'adjust',
  run(ctx) {
    for (const [name, value] of Object.entries(ctx.request.edits)) {
      if (!OPERATIONS.has(name) || value === false || value === undefined) continue;
      if (name === 'rotate' && (value === null || ctx.animated)) continue; // null: SIH's "keep the stored orientation"
      const planned = plannedOperationSize(ctx.size, name, value);
      if (!fitsOutputLimits(planned, ctx.deps.limits)) throw outputTooLarge(planned, ctx.deps.limits);
      apply(ctx.image, name as SharpOperation, value);
      ctx.size = planned;
    }
  },
};

function apply(image: Sharp, name: SharpOperation, value: unknown): void {
  try {
    const operation = image[name] as (...args: unknown[]) => Sharp;
    if (value === true) operation.call(image);
    // sharp ≥ 0.33 reads a bare number as "mild"; SIH and Thumbor mean a sigma.
    else if (name === 'sharpen' && typeof value === 'number') operation.call(image, { sigma: value });
    else if (name === 'linear' && Array.isArray(value)) operation.call(image, value[0], value[1]);
    else if (name === 'gamma' && Array.isArray(value)) operation.call(image, value[0], value[1]);
    else if (name === 'threshold' && typeof value === 'object' && value !== null) {
      const { threshold, ...options } = value as { threshold?: number };
      operation.call(image, threshold ?? 128, options);
    } else operation.call(image, value);
  } catch (error) {
    throw new RequestError('ImageEdits::InvalidEdit', `The edit "${name}" is invalid: ${(error as Error).message}`, 400, {
      cause: error,
    });
  }
}

import type { Sharp } from 'sharp';
import { RequestError } from '../../errors.js';
import type { SharpOperation } from '../../edits.js';
import { fitsOutputLimits, plannedOperationSize } from '../plan-geometry.js';
import type { Step } from '../render-context.js';
import { outputTooLarge } from './resize.js';

export interface OperationEdit {
  name: SharpOperation;
  value: unknown;
}

/** Operations that move pixels: what an analysis after them must see rendered. */
export const RESHAPING: ReadonlySet<string> = new Set(['rotate', 'flip', 'flop', 'affine', 'extend', 'extract', 'trim']);

/**
 * One of SIH's allow-listed sharp operations, called when the request lists it (sharp then
 * orders rotate, extract and resize by call order, as it does for SIH).
 * `false` skips an operation, `true` calls it with sharp's defaults, anything else is passed as
 * its single argument (SIH's convention), except the few sharp methods that take two. Operations
 * that grow the image (extend, affine, rotate) are checked against the output limits first.
 */
export const operation: Step<OperationEdit> = {
  name: 'operation',
  run(ctx, { name, value }) {
    if (value === false || value === undefined) return;
    if (name === 'rotate' && (value === null || ctx.animated)) return; // null: SIH's "keep the stored orientation"
    const planned = plannedOperationSize(ctx.size, name, value);
    if (!fitsOutputLimits(planned, ctx.deps.limits)) throw outputTooLarge(planned, ctx.deps.limits);
    apply(ctx.image, name, value);
    ctx.size = planned;
    if (RESHAPING.has(name)) ctx.reshaped = true;
    // Estimated, not known: trim's result depends on pixels, affine and odd angles are bounded by
    // their box, and sharp turns a right-angle rotation called after a resize before its crop.
    if (name === 'trim' || name === 'affine' || (name === 'rotate' && (ctx.resized || (value as number) % 90 !== 0))) ctx.sizeExact = false;
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

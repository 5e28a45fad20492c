import type { Resize } from '../../edits.js';
import { RequestError } from '../../errors.js';
import { fitsOutputLimits, plannedResize, type Size } from '../plan-geometry.js';
import type { Step } from '../render-context.js';

/**
 * Resize, with SIH's `ratio`, the `dpr` multiplier, and the output limits checked on the planned
 * size before any pixel is produced. Sizes are those of the image the edits before it produce.
 */
/**
 * A resize the plan moved before the right-angle rotation the request put first (`turned`
 * degrees): sized for the rotated frame, then rendered as the exact box that the rotation turns
 * into that size. sharp then keeps shrink-on-load, and the geometry stays the request's.
 */
export type TurnedResize = Resize & { turned?: number };

export const resize: Step<TurnedResize> = {
  name: 'resize',
  run(ctx, requested) {
    const { ratio, turned, ...options } = requested;
    const sideways = turned === 90 || turned === 270;
    const frame = sideways ? { width: ctx.size.height, height: ctx.size.width } : ctx.size;
    const dpr = ctx.request.output.dpr ?? 1;
    let width = options.width ?? undefined;
    let height = options.height ?? undefined;
    if (ratio) {
      width = Math.round((width && height ? width : frame.width) * ratio);
      height = Math.round((width && height ? height : frame.height) * ratio);
      options.fit ??= 'inside';
    }
    if (width) width = Math.round(width * dpr);
    if (height) height = Math.round(height * dpr);
    if (!width && !height) return; // SIH: a resize with neither side (only a fit) changes nothing
    const target = plannedResize(frame, { ...options, width: width ?? null, height: height ?? null });
    if (!fitsOutputLimits(target, ctx.deps.limits)) throw outputTooLarge(target, ctx.deps.limits);
    if (turned === undefined) {
      ctx.image.resize({ ...options, width: width ?? null, height: height ?? null } as Parameters<typeof ctx.image.resize>[0]);
      ctx.size = target;
    } else {
      // Both sides given, so the rotation after it cannot make sharp crop to the one side asked for.
      const box = sideways ? { width: target.height, height: target.width } : target;
      const { kernel, fastShrinkOnLoad } = options;
      ctx.image.resize({ ...box, fit: 'fill', ...(kernel ? { kernel } : {}), ...(fastShrinkOnLoad !== undefined ? { fastShrinkOnLoad } : {}) });
      ctx.size = box;
    }
    ctx.resized = true;
    ctx.reshaped = true;
  },
};

/** SIH-style 400 for an output beyond the limits, naming the size that was asked for. */
export function outputTooLarge(size: Size, limits: { maxOutputDimension: number; maxOutputPixels: number }): RequestError {
  return new RequestError(
    'ImageEdits::OutputTooLarge',
    `The requested size ${size.width}×${size.height} exceeds the output limit of ${limits.maxOutputDimension} pixels per side and ${limits.maxOutputPixels} pixels in all.`,
  );
}

import { RequestError } from '../../errors.js';
import { plannedResize } from '../plan-geometry.js';
import type { Step } from '../render-context.js';

/**
 * Resize, with SIH's `ratio`, the `dpr` multiplier, and the output limits checked on the planned
 * size before any pixel is produced.
 */
export const resize: Step = {
  name: 'resize',
  run(ctx) {
    const requested = ctx.request.edits.resize;
    if (!requested) return;
    const { ratio, ...options } = requested;
    const dpr = ctx.request.output.dpr ?? 1;
    let width = options.width ?? undefined;
    let height = options.height ?? undefined;
    if (ratio) {
      width = Math.round((width && height ? width : ctx.size.width) * ratio);
      height = Math.round((width && height ? height : ctx.size.height) * ratio);
      options.fit ??= 'inside';
    }
    if (width) width = Math.round(width * dpr);
    if (height) height = Math.round(height * dpr);
    if (!width && !height) return; // SIH: a resize with neither side (only a fit) changes nothing
    const target = plannedResize(ctx.size, { ...options, width: width ?? null, height: height ?? null });
    const { maxOutputDimension, maxOutputPixels } = ctx.deps.limits;
    if (target.width > maxOutputDimension || target.height > maxOutputDimension || target.width * target.height > maxOutputPixels) {
      throw new RequestError(
        'ImageEdits::OutputTooLarge',
        `The requested size ${target.width}×${target.height} exceeds the output limit of ${maxOutputDimension} pixels per side and ${maxOutputPixels} pixels in all.`,
      );
    }
    ctx.image.resize({ ...options, width: width ?? null, height: height ?? null } as Parameters<typeof ctx.image.resize>[0]);
    ctx.size = target;
  },
};

import type { Region } from '../../edits.js';
import { RequestError } from '../../errors.js';
import type { Step } from '../render-context.js';

/** SIH's message for a crop outside the image (and for a crop sharp refuses outright). */
export function cropOutOfBounds(options: { cause?: unknown } = {}): RequestError {
  return new RequestError(
    'Crop::AreaOutOfBounds',
    'The cropping area you provided exceeds the boundaries of the original image. Please try choosing a correct cropping value.',
    400,
    options,
  );
}

/**
 * SIH's `crop` (and sharp's `extract`): a region of the image as the edits before it left it
 * (sharp extracts before a resize called after it, after a resize called before it). Checked
 * against the bounds before sharp sees it whenever that size is known exactly.
 */
export const crop: Step<Region> = {
  name: 'crop',
  run(ctx, region) {
    if (ctx.sizeExact && (region.left + region.width > ctx.size.width || region.top + region.height > ctx.size.height)) {
      throw cropOutOfBounds();
    }
    ctx.image.extract(region);
    ctx.size = { width: region.width, height: region.height };
    ctx.reshaped = true;
  },
};

import { RequestError } from '../../errors.js';
import type { Step } from '../render-context.js';

/** SIH's `crop`: a region of the (oriented) source, checked against its bounds before sharp sees it. */
export const crop: Step = {
  name: 'crop',
  run(ctx) {
    const region = ctx.request.edits.crop;
    if (!region) return;
    if (region.left + region.width > ctx.size.width || region.top + region.height > ctx.size.height) {
      throw new RequestError(
        'Crop::AreaOutOfBounds',
        'The cropping area you provided exceeds the boundaries of the original image. Please try choosing a correct cropping value.',
      );
    }
    ctx.image.extract(region);
    ctx.size = { width: region.width, height: region.height };
  },
};

import type { RoundCrop } from '../../edits.js';
import { openTrusted } from '../sharp-factory.js';
import { materialize, type Step } from '../render-context.js';

/**
 * SIH's `roundCrop`: masks the image with an ellipse (centre `left`/`top`, radii `rx`/`ry`,
 * defaults centred and touching the shorter side), then trims the transparent margin.
 */
export const roundCrop: Step<RoundCrop> = {
  name: 'roundCrop',
  async run(ctx, edit) {
    if (!edit || ctx.animated) return;
    const { info } = await materialize(ctx);
    const { width, height } = info;
    const options = edit === true ? {} : edit;
    // SIH treats 0 and out-of-range values as "use the default".
    const valid = (value: number | undefined, limit: number): value is number => !!value && value >= 0 && value < limit;
    const cx = valid(options.left, width) ? options.left : width / 2;
    const cy = valid(options.top, height) ? options.top : height / 2;
    const rx = valid(options.rx, width) ? options.rx : Math.min(width, height) / 2;
    const ry = valid(options.ry, height) ? options.ry : Math.min(width, height) / 2;
    const mask = Buffer.from(
      `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><ellipse cx="${cx}" cy="${cy}" rx="${rx}" ry="${ry}"/></svg>`,
    );
    const { data: masked, info: maskedInfo } = await ctx.image
      .ensureAlpha()
      .composite([{ input: mask, blend: 'dest-in' }])
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raw = { width: maskedInfo.width, height: maskedInfo.height, channels: maskedInfo.channels };
    const { data, info: trimmed } = await openTrusted(masked, { raw }).trim().raw().toBuffer({ resolveWithObject: true });
    ctx.image = openTrusted(data, { raw: { width: trimmed.width, height: trimmed.height, channels: trimmed.channels } });
    ctx.size = { width: trimmed.width, height: trimmed.height };
    ctx.reshaped = true;
  },
};

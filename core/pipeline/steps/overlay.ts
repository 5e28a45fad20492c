import type { OverlayWith } from '../../edits.js';
import { AccessError, ImageError, NotFoundError, RequestError, ShutterError } from '../../errors.js';
import { inspectImage, openImage } from '../sharp-factory.js';
import { materialize, type Step } from '../render-context.js';

/**
 * SIH's `overlayWith`: a watermark from an allowed bucket, sized by `wRatio`/`hRatio` (percent of
 * the image), faded by `alpha` (0 opaque … 100 invisible), placed at `left`/`top` given in
 * pixels or percent (`"10p"`), negative values counting from the right/bottom edge.
 */
export const overlay: Step<OverlayWith> = {
  name: 'overlayWith',
  async run(ctx, edit) {
    if (!ctx.deps.allowedBuckets.includes(edit.bucket)) {
      throw new AccessError(
        'ImageBucket::CannotAccessBucket',
        'The overlay image bucket you specified could not be accessed. Please check that the bucket is specified in your SOURCE_BUCKETS.',
      );
    }
    if (!ctx.animated) await materialize(ctx);
    const { width, height } = ctx.size;
    let watermark: Buffer;
    let mark: { width: number; height: number };
    try {
      const object = await ctx.deps.storage.get(edit.bucket, edit.key, {
        maxBytes: ctx.deps.limits.maxSourceBytes,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      // One resize (sharp honours only the last): the wRatio/hRatio box, never larger than the image.
      const sized = !!(edit.wRatio || edit.hRatio);
      const boxWidth = edit.wRatio ? Math.max(1, Math.floor((width * edit.wRatio) / 100)) : width;
      const boxHeight = edit.hRatio ? Math.max(1, Math.floor((height * edit.hRatio) / 100)) : height;
      const opacity = Math.round(255 * (1 - (edit.alpha ?? 0) / 100));
      // The overlay is untrusted input too: the same header checks as a source (pixels, frames, SVG cost).
      await inspectImage(object.body, ctx.deps.limits);
      const result = await openImage(object.body, ctx.deps.limits)
        .autoOrient()
        .resize({ width: Math.min(boxWidth, width), height: Math.min(boxHeight, height), fit: 'inside', withoutEnlargement: !sized })
        .ensureAlpha()
        .composite([{ input: Buffer.from([255, 255, 255, opacity]), raw: { width: 1, height: 1, channels: 4 }, tile: true, blend: 'dest-in' }])
        .png()
        .toBuffer({ resolveWithObject: true });
      watermark = result.data;
      mark = { width: result.info.width, height: result.info.height };
    } catch (error) {
      // A storage fault keeps its meaning (503); a missing or unreadable overlay is SIH's 400.
      if (error instanceof ShutterError && !(error instanceof NotFoundError) && !(error instanceof ImageError)) throw error;
      throw new RequestError(
        'OverlayImageException',
        'The overlay image could not be applied. Please contact the system administrator.',
        400,
        { cause: error },
      );
    }
    const { left, top, gravity, blend, tile } = edit.options ?? {};
    const x = placement(left, width, mark.width);
    const y = placement(top, height, mark.height);
    ctx.image.composite([
      {
        input: watermark,
        ...(x !== undefined && y !== undefined ? { left: x, top: y } : {}),
        ...(gravity ? { gravity } : {}),
        ...(blend ? { blend: blend as 'over' } : {}),
        ...(tile ? { tile } : {}),
      },
    ]);
  },
};

/** SIH's offset rule: pixels or `Np` percent; negative counts back from the far edge. Clamped inside. */
export function placement(value: number | string | undefined, imageSize: number, overlaySize: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  let result: number;
  if (text.endsWith('p')) {
    const percent = parseInt(text.slice(0, -1), 10);
    result = Math.floor(percent < 0 ? imageSize + (imageSize * percent) / 100 - overlaySize : (imageSize * percent) / 100);
  } else {
    const pixels = parseInt(text, 10);
    result = pixels < 0 ? imageSize + pixels - overlaySize : pixels;
  }
  if (Number.isNaN(result)) return undefined;
  return Math.max(0, Math.min(result, imageSize - overlaySize));
}

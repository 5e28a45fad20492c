import type { SmartCrop } from '../../edits.js';
import { RequestError } from '../../errors.js';
import { callAnalyzer } from '../call-analyzer.js';
import { bytesOf } from '../source-file.js';
import { smartCropArea } from '../plan-geometry.js';
import { materialize, type Step } from '../render-context.js';
import { openTrusted } from '../sharp-factory.js';

/**
 * SIH's `smartCrop`: crops to the `faceIndex`-th face (largest first), grown by `padding` and kept
 * inside the image. With no face at all SIH keeps the whole image whatever the index; shutter lets
 * the analyzer's most salient region stand in for face 0 (the whole image when there is none).
 */
export const smartCrop: Step<SmartCrop> = {
  name: 'smartCrop',
  async run(ctx, edit) {
    if (!edit || ctx.animated) return;
    const { faceIndex = 0, padding = 0 } = edit === true ? {} : edit;
    // As SIH, the faces are looked for in the image the edits before this one produced: the
    // upload itself while nothing has moved its pixels (the analyzer may have it cached by key).
    const image = ctx.reshaped ? await snapshot(ctx) : await bytesOf(ctx.input);
    const source = ctx.reshaped ? {} : { source: ctx.request.source };
    const subjects = await callAnalyzer(
      () => ctx.deps.analyzer.detectSubjects(image, { ...source, ...(ctx.signal ? { signal: ctx.signal } : {}) }),
      ctx.signal,
    );
    ctx.notes.subjects = subjects;
    if (subjects.faces.length === 0 && (faceIndex > 0 || !subjects.subject)) return;
    const box = subjects.faces.length ? subjects.faces[faceIndex] : subjects.subject;
    if (!box) {
      throw new RequestError(
        'SmartCrop::FaceIndexOutOfRange',
        'You have provided a FaceIndex value that exceeds the length of the zero-based detectedFaces array. Please specify a value that is in-range.',
      );
    }
    const area = smartCropArea(box, padding, ctx.size);
    if (!area) {
      throw new RequestError(
        'SmartCrop::PaddingOutOfBounds',
        'The padding value you provided exceeds the boundaries of the original image. Please try choosing a smaller value or applying padding via Sharp for greater specificity.',
      );
    }
    ctx.notes.smartCrop = area;
    ctx.image.extract(area);
    ctx.size = { width: area.width, height: area.height };
    ctx.reshaped = true;
  },
};

/** The chain so far, rendered losslessly as PNG for the analyzer; the chain continues from its pixels. */
async function snapshot(ctx: Parameters<Step['run']>[0]): Promise<Buffer> {
  const { data, info } = await materialize(ctx);
  return openTrusted(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).png({ compressionLevel: 1 }).toBuffer();
}

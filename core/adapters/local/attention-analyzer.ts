/**
 * The model-free analyzer (`ANALYZER=attention`, and the subject half of LocalAnalyzer): libvips'
 * attention strategy finds the most salient region (skin tones, saturation, edges) for smart crops;
 * moderation is refused with a clear 501 rather than pretending every image is safe.
 */
import sharp from 'sharp';
import { NotImplementedError } from '../../errors.js';
import { DEFAULT_IMAGE_LIMITS, blameSource, mapSharpError, openImage, type ImageLimits } from '../../pipeline/sharp-factory.js';
import type { Analyzer, ModerationResult, SubjectsResult } from '../../ports/analyzer.js';
import { recordAnalysis } from '../../observability/metrics.js';

export class AttentionAnalyzer implements Analyzer {
  readonly name = 'libvips-attention';

  constructor(private readonly limits: ImageLimits = DEFAULT_IMAGE_LIMITS) {}

  async moderate(): Promise<ModerationResult> {
    throw new NotImplementedError(
      'ContentModeration::NotAvailable',
      'Content moderation needs an analyzer: none that can moderate is configured in this deployment.',
    );
  }

  async detectSubjects(image: Buffer): Promise<SubjectsResult> {
    try {
      return await this.attention(image);
    } catch (error) {
      // A source libvips cannot decode is the client's problem (422/415), not an analyzer fault.
      throw mapSharpError(error);
    }
  }

  private async attention(image: Buffer): Promise<SubjectsResult> {
    const started = performance.now();
    // Work on a small copy: attention needs shapes, not detail. Untrusted bytes get the usual limits.
    const { data, info } = await openImage(image, this.limits)
      .autoOrient()
      .resize(256, 256, { fit: 'inside' })
      .toBuffer({ resolveWithObject: true })
      .catch(async (error: unknown) => {
        throw await blameSource(error, image, this.limits);
      });
    const side = Math.max(1, Math.min(info.width, info.height));
    const { info: focus } = await sharp(data)
      .resize(side, side, { fit: 'cover', position: sharp.strategy.attention })
      .toBuffer({ resolveWithObject: true });
    // sharp reports the attention focal point in the (unscaled, since side = the short side) image.
    const x = (focus.attentionX ?? info.width / 2) / info.width;
    const y = (focus.attentionY ?? info.height / 2) / info.height;
    // A square of half the short side around the focal point, kept inside the image.
    const width = side / 2 / info.width;
    const height = side / 2 / info.height;
    const left = Math.min(Math.max(0, x - width / 2), 1 - width);
    const top = Math.min(Math.max(0, y - height / 2), 1 - height);
    const ms = performance.now() - started;
    recordAnalysis(this.name, 'subject', ms);
    return {
      analyzer: this.name,
      ms,
      faces: [],
      subject: { left, top, width, height, kind: 'saliency', confidence: 50 },
    };
  }
}

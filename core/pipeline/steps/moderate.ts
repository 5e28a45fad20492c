import type { ContentModeration } from '../../edits.js';
import { DEFAULTS } from '../../limits.js';
import { callAnalyzer } from '../call-analyzer.js';
import { bytesOf } from '../source-file.js';
import type { Step } from '../render-context.js';

/**
 * SIH's `contentModeration`: asks the analyzer for moderation labels on the source and blurs
 * the image when a label (of the requested ones, or any) passes `minConfidence`.
 */
export const moderate: Step<ContentModeration> = {
  name: 'contentModeration',
  async run(ctx, edit) {
    if (!edit || ctx.animated) return;
    const options = edit === true ? {} : edit;
    const minConfidence = options.minConfidence ?? DEFAULTS.minModerationConfidence;
    const input = await bytesOf(ctx.input);
    const result = await callAnalyzer(
      () =>
        ctx.deps.analyzer.moderate(input, {
          minConfidence,
          source: ctx.request.source,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        }),
      ctx.signal,
    );
    ctx.notes.moderation = result;
    const blur = Math.ceil(options.blur ?? DEFAULTS.moderationBlur);
    if (blur < 0.3) return;
    const wanted = options.moderationLabels;
    const flagged = result.labels.some(
      (label) => label.confidence >= minConfidence && (!wanted || wanted.includes(label.name) || wanted.includes(label.parentName)),
    );
    if (flagged) ctx.image.blur(Math.min(blur, 1000));
  },
};

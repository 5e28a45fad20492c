/**
 * nsfwjs' five classes, translated into Rekognition's moderation taxonomy (model version 7.0, the one
 * Rekognition has answered with since 2024), so callers and SIH's `moderationLabels` lists never care
 * which analyzer ran.
 *
 * | nsfwjs class | Rekognition labels (L1 → L2) | confidence |
 * | --- | --- | --- |
 * | Porn | `Explicit` → `Explicit Nudity`, `Explicit Sexual Activity` | P(Porn) + P(Hentai) |
 * | Hentai | the same `Explicit` labels, and content type `Illustrated` | P(Porn) + P(Hentai) |
 * | Sexy | `Non-Explicit Nudity of Intimate parts and Kissing` → `Non-Explicit Nudity`; `Swimwear or Underwear` | P(Sexy) |
 * | Drawing | no label; content type `Illustrated` | P(Drawing) + P(Hentai) |
 * | Neutral | nothing | |
 *
 * Why sums: the classes are one softmax, so "explicit" is the chance of Porn or Hentai, and "illustrated"
 * the chance of Drawing or Hentai. nsfwjs cannot tell nudity from sexual activity, nor swimwear from
 * partial nudity, so both labels of each pair get the same confidence: for moderation, over-labelling
 * a flagged image is the safe side. Rekognition 6.x names (`Suggestive`, `Illustrated Explicit Nudity`)
 * are gone from Rekognition's own answers, so they are not produced here either.
 */
import type { ContentType, ModerationLabel } from '../../ports/analyzer.js';

export const NSFW_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type NsfwClass = (typeof NSFW_CLASSES)[number];
export type NsfwScores = Record<NsfwClass, number>;

interface LabelRule {
  name: string;
  parentName: string;
  taxonomyLevel: number;
  score: (p: NsfwScores) => number;
}

const explicit = (p: NsfwScores) => p.Porn + p.Hentai;
const suggestive = (p: NsfwScores) => p.Sexy;

const LABEL_RULES: readonly LabelRule[] = [
  { name: 'Explicit', parentName: '', taxonomyLevel: 1, score: explicit },
  { name: 'Explicit Nudity', parentName: 'Explicit', taxonomyLevel: 2, score: explicit },
  { name: 'Explicit Sexual Activity', parentName: 'Explicit', taxonomyLevel: 2, score: explicit },
  { name: 'Non-Explicit Nudity of Intimate parts and Kissing', parentName: '', taxonomyLevel: 1, score: suggestive },
  { name: 'Non-Explicit Nudity', parentName: 'Non-Explicit Nudity of Intimate parts and Kissing', taxonomyLevel: 2, score: suggestive },
  { name: 'Swimwear or Underwear', parentName: '', taxonomyLevel: 1, score: suggestive },
];

/** Rounds like Rekognition's answers read (a few decimals), and keeps sums of probabilities within 0..100. */
const percent = (probability: number) => Math.min(100, Math.max(0, Math.round(probability * 100_000) / 1000));

/**
 * Rekognition-shaped labels and content types for nsfwjs class probabilities (0..1), keeping those at or
 * above `minConfidence` (0..100), most confident first.
 *
 * @example
 * toModerationLabels({ Porn: 0.9, Hentai: 0.05, Sexy: 0.03, Neutral: 0.01, Drawing: 0.01 }, 75).labels[0]
 * // → { name: 'Explicit', parentName: '', taxonomyLevel: 1, confidence: 95 }
 */
export function toModerationLabels(scores: NsfwScores, minConfidence: number): { labels: ModerationLabel[]; contentTypes: ContentType[] } {
  const labels = LABEL_RULES.map(({ score, ...label }) => ({ ...label, confidence: percent(score(scores)) }))
    .filter((label) => label.confidence >= minConfidence)
    .sort((a, b) => b.confidence - a.confidence || a.taxonomyLevel - b.taxonomyLevel);
  const illustrated = percent(scores.Drawing + scores.Hentai);
  const contentTypes = illustrated >= minConfidence ? [{ name: 'Illustrated', confidence: illustrated }] : [];
  return { labels, contentTypes };
}

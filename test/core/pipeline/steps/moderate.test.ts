/**
 * SIH's contentModeration through the whole pipeline: the image is blurred when a label passes the
 * threshold (and, given `moderationLabels`, is one of them), and only then. A scripted analyzer pins
 * the rule down; the real local model shows it end to end.
 */
import { LocalAnalyzer } from '../../../../core/adapters/local/local-analyzer.js';
import type { ContentModeration } from '../../../../core/edits.js';
import { renderImage } from '../../../../core/pipeline/render-image.js';
import type { Analyzer, ModerateOptions, ModerationLabel } from '../../../../core/ports/analyzer.js';
import { fixture, pixelDifference, samplePhoto } from '../../../helpers/images.js';
import { imageRequest, renderDeps } from '../../../helpers/render.js';

const explicit: ModerationLabel[] = [
  { name: 'Explicit', parentName: '', confidence: 80, taxonomyLevel: 1 },
  { name: 'Explicit Nudity', parentName: 'Explicit', confidence: 80, taxonomyLevel: 2 },
];

/** Answers the given labels whatever the threshold (the step must check it too), and records calls. */
function scripted(labels: ModerationLabel[]): Analyzer & { calls: ModerateOptions[] } {
  const calls: ModerateOptions[] = [];
  return {
    name: 'scripted',
    calls,
    moderate: async (_image, options) => {
      calls.push(options);
      return { analyzer: 'scripted', ms: 0, labels };
    },
    detectSubjects: async () => ({ analyzer: 'scripted', ms: 0, faces: [] }),
  };
}

const photo = samplePhoto('chelsea');
let untouched: Buffer;
beforeAll(async () => {
  untouched = (await renderImage(photo, imageRequest({ grayscale: false }), renderDeps(scripted([])))).data;
});

async function isBlurred(contentModeration: ContentModeration, labels: ModerationLabel[]): Promise<boolean> {
  const result = await renderImage(photo, imageRequest({ contentModeration }), renderDeps(scripted(labels)));
  const { mean } = await pixelDifference(result.data, untouched);
  return mean > 2;
}

describe('contentModeration with a scripted analyzer', () => {
  test.each<[string, ContentModeration, ModerationLabel[], boolean]>([
    ['a label at the default threshold (75)', true, explicit, true],
    ['no label', true, [], false],
    ['labels below minConfidence', { minConfidence: 90 }, explicit, false],
    ['labels at minConfidence', { minConfidence: 80 }, explicit, true],
    ['a listed label', { moderationLabels: ['Explicit Nudity'] }, explicit, true],
    ['a listed top-level category (matches the parent)', { moderationLabels: ['Explicit'] }, explicit, true],
    ['only unlisted labels', { moderationLabels: ['Violence', 'Hate Symbols'] }, explicit, false],
    ['blur 0 (SIH rounds up, and blurs only from 0.3)', { blur: 0 }, explicit, false],
    ['blur 0.2 (rounded up to 1)', { blur: 0.2 }, explicit, true],
    ['a chosen blur', { blur: 5 }, explicit, true],
  ])('%s', async (_name, edit, labels, blurred) => {
    expect(await isBlurred(edit, labels)).toBe(blurred);
  });

  test('asks the analyzer with SIH’s default threshold and tells it where the source is', async () => {
    const analyzer = scripted([]);
    await renderImage(photo, imageRequest({ contentModeration: true }), renderDeps(analyzer));
    expect(analyzer.calls[0]).toMatchObject({ minConfidence: 75, source: { bucket: 'images', key: 'photo.jpg' } });
  });

  test('the labels found are returned with the result', async () => {
    const result = await renderImage(photo, imageRequest({ contentModeration: true }), renderDeps(scripted(explicit)));
    expect(result.notes.moderation).toMatchObject({ analyzer: 'scripted', labels: explicit });
  });
});

describe('contentModeration with the local model', () => {
  const analyzer = new LocalAnalyzer();
  afterAll(() => analyzer.close());

  test('blurs an image the model scores explicit, and leaves a portrait alone', async () => {
    const flagged = fixture('analysis', 'model-triggering', 'abstract-blobs-120.jpg');
    const blurred = await renderImage(flagged, imageRequest({ contentModeration: { blur: 20 } }), renderDeps(analyzer));
    const plain = await renderImage(flagged, imageRequest({ grayscale: false }), renderDeps(analyzer));
    expect((await pixelDifference(blurred.data, plain.data)).mean).toBeGreaterThan(1);
    expect(blurred.notes.moderation).toMatchObject({ labels: expect.arrayContaining([expect.objectContaining({ name: 'Explicit Nudity' })]) });

    const portrait = samplePhoto('astronaut');
    const moderated = await renderImage(portrait, imageRequest({ contentModeration: { blur: 20 } }), renderDeps(analyzer));
    const original = await renderImage(portrait, imageRequest({ grayscale: false }), renderDeps(analyzer));
    expect((await pixelDifference(moderated.data, original.data)).mean).toBe(0);
    expect(moderated.notes.moderation).toMatchObject({ labels: [] });
  }, 60_000);
});

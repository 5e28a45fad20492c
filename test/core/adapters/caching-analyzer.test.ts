import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CachingAnalyzer, sha256 } from '../../../core/adapters/caching-analyzer.js';
import { LocalAnalyzer } from '../../../core/adapters/local/local-analyzer.js';
import { ModelWorker } from '../../../core/adapters/local/model-worker.js';
import { createAnalyzer } from '../../../core/compose.js';
import { loadConfig } from '../../../core/config.js';
import type { Analyzer, ModerateOptions, ModerationResult, SubjectsResult } from '../../../core/ports/analyzer.js';

/** An analyzer that counts its calls and answers fixed results (labels at 90 and 60). */
class CountingAnalyzer implements Analyzer {
  readonly name: string;
  moderations: ModerateOptions[] = [];
  detections = 0;
  constructor(name = 'counting/v1') {
    this.name = name;
  }
  async moderate(_image: Buffer, options: ModerateOptions): Promise<ModerationResult> {
    this.moderations.push(options);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const labels = [
      { name: 'Explicit', parentName: '', confidence: 90, taxonomyLevel: 1 },
      { name: 'Swimwear or Underwear', parentName: '', confidence: 60, taxonomyLevel: 1 },
    ].filter((label) => label.confidence >= options.minConfidence);
    return { analyzer: this.name, ms: 12, labels };
  }
  async detectSubjects(): Promise<SubjectsResult> {
    this.detections++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { analyzer: this.name, ms: 34, faces: [{ left: 0.1, top: 0.2, width: 0.3, height: 0.4, kind: 'face', confidence: 99 }] };
  }
}

const image = Buffer.from('the same bytes');
const other = Buffer.from('other bytes');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shutter-analysis-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('CachingAnalyzer', () => {
  test('analyses the same bytes once, and different bytes again', async () => {
    const inner = new CountingAnalyzer();
    const cache = new CachingAnalyzer(inner);
    const first = await cache.detectSubjects(image);
    const second = await cache.detectSubjects(Buffer.from(image));
    await cache.detectSubjects(other);
    expect(inner.detections).toBe(2);
    expect(first.cached).toBeUndefined();
    expect(second).toMatchObject({ cached: true, ms: 34, faces: first.faces, analyzer: 'counting/v1' });
  });

  test('concurrent requests for the same image share one analysis', async () => {
    const inner = new CountingAnalyzer();
    const cache = new CachingAnalyzer(inner);
    await Promise.all([cache.detectSubjects(image), cache.detectSubjects(image), cache.moderate(image, { minConfidence: 75 }), cache.moderate(image, { minConfidence: 75 })]);
    expect(inner.detections).toBe(1);
    expect(inner.moderations).toHaveLength(1);
  });

  test('moderation is computed once at the floor and filtered per threshold', async () => {
    const inner = new CountingAnalyzer();
    const cache = new CachingAnalyzer(inner);
    const strict = await cache.moderate(image, { minConfidence: 95 });
    const usual = await cache.moderate(image, { minConfidence: 75 });
    const loose = await cache.moderate(image, { minConfidence: 50 });
    expect(inner.moderations.map((call) => call.minConfidence)).toEqual([50]);
    expect(strict.labels).toEqual([]);
    expect(usual.labels.map((label) => label.name)).toEqual(['Explicit']);
    expect(loose.labels.map((label) => label.name)).toEqual(['Explicit', 'Swimwear or Underwear']);
    expect(loose.cached).toBe(true);
  });

  test('a threshold below the floor asks the analyzer again, and that answer serves later ones', async () => {
    const inner = new CountingAnalyzer();
    const cache = new CachingAnalyzer(inner);
    await cache.moderate(image, { minConfidence: 75 });
    await cache.moderate(image, { minConfidence: 10 });
    await cache.moderate(image, { minConfidence: 30 });
    expect(inner.moderations.map((call) => call.minConfidence)).toEqual([50, 10]);
  });

  test('results of one analyzer are never served for another', async () => {
    const a = new CountingAnalyzer('a');
    const b = new CountingAnalyzer('b');
    await new CachingAnalyzer(a, { directory: dir }).detectSubjects(image);
    const fromB = await new CachingAnalyzer(b, { directory: dir }).detectSubjects(image);
    expect(b.detections).toBe(1);
    expect(fromB.analyzer).toBe('b');
  });

  test('the disk cache survives a restart, in the documented layout', async () => {
    const first = new CountingAnalyzer();
    await new CachingAnalyzer(first, { directory: dir }).detectSubjects(image);
    await new CachingAnalyzer(first, { directory: dir }).moderate(image, { minConfidence: 75 });
    const hash = sha256(image);
    expect((await readdir(path.join(dir, 'counting_v1', hash.slice(0, 2)))).sort()).toEqual([`${hash}.moderation.json`, `${hash}.subjects.json`]);

    const restarted = new CountingAnalyzer();
    const cache = new CachingAnalyzer(restarted, { directory: dir });
    await expect(cache.detectSubjects(image)).resolves.toMatchObject({ cached: true, faces: [{ kind: 'face' }] });
    await expect(cache.moderate(image, { minConfidence: 80 })).resolves.toMatchObject({ cached: true, labels: [{ name: 'Explicit' }] });
    expect(restarted.detections).toBe(0);
    expect(restarted.moderations).toHaveLength(0);
  });

  test('a damaged cache file is a miss that gets rewritten, not an error', async () => {
    const hash = sha256(image);
    const folder = path.join(dir, 'counting_v1', hash.slice(0, 2));
    await new CachingAnalyzer(new CountingAnalyzer(), { directory: dir }).detectSubjects(image);
    await writeFile(path.join(folder, `${hash}.subjects.json`), '{"faces": [');
    const inner = new CountingAnalyzer();
    await expect(new CachingAnalyzer(inner, { directory: dir }).detectSubjects(image)).resolves.toMatchObject({ faces: [{ kind: 'face' }] });
    expect(inner.detections).toBe(1);
    await expect(new CachingAnalyzer(new CountingAnalyzer(), { directory: dir }).detectSubjects(image)).resolves.toMatchObject({ cached: true });
  });

  test('an unwritable cache folder does not fail the analysis', async () => {
    const file = path.join(dir, 'not-a-folder');
    await writeFile(file, 'x');
    await expect(new CachingAnalyzer(new CountingAnalyzer(), { directory: file }).detectSubjects(image)).resolves.toMatchObject({ faces: [{ kind: 'face' }] });
  });

  test('the in-memory cache is bounded (least recently used goes first)', async () => {
    const inner = new CountingAnalyzer();
    const cache = new CachingAnalyzer(inner, { entries: 2 });
    const images = [Buffer.from('1'), Buffer.from('2'), Buffer.from('3')];
    for (const bytes of images) await cache.detectSubjects(bytes);
    await cache.detectSubjects(images[2]!);
    await cache.detectSubjects(images[0]!);
    expect(inner.detections).toBe(4);
  });

  test('failures are not cached', async () => {
    const inner = new CountingAnalyzer();
    let fail = true;
    const flaky: Analyzer = {
      name: inner.name,
      moderate: (bytes, options) => inner.moderate(bytes, options),
      detectSubjects: async () => {
        if (fail) throw new Error('busy');
        return inner.detectSubjects();
      },
    };
    const cache = new CachingAnalyzer(flaky);
    await expect(cache.detectSubjects(image)).rejects.toThrow('busy');
    fail = false;
    await expect(cache.detectSubjects(image)).resolves.toMatchObject({ faces: [{ kind: 'face' }] });
  });

  test('a caller that gives up stops waiting without failing the others', async () => {
    const inner = new CountingAnalyzer();
    const cache = new CachingAnalyzer(inner);
    const controller = new AbortController();
    const impatient = cache.detectSubjects(image, { signal: controller.signal });
    const patient = cache.detectSubjects(image);
    controller.abort(new Error('gave up'));
    await expect(impatient).rejects.toThrow('gave up');
    await expect(patient).resolves.toMatchObject({ faces: [{ kind: 'face' }] });
    expect(inner.detections).toBe(1);
  });
});

describe('close (shutdown)', () => {
  test('closing the cache closes the local analyzer behind it: its models\' worker ends, and a job it held fails as retryable', async () => {
    const models = new ModelWorker();
    const analyzer = new CachingAnalyzer(new LocalAnalyzer({ models }));
    try {
      const held = models.load({ nsfw: 'MobileNetV2' }); // seconds of work: still running when closed
      expect(models.running).toBe(true);
      await analyzer.close();
      expect(models.running).toBe(false);
      await expect(held).rejects.toMatchObject({ name: 'TransientError', code: 'LocalAnalysis::WorkerStopped' });
    } finally {
      await models.close();
    }
  }, 60_000);

  test('an analyzer without close (nothing held) closes as a no-op', async () => {
    await expect(new CachingAnalyzer(new CountingAnalyzer()).close()).resolves.toBeUndefined();
  });

  test('Rekognition behind the cache, never called: close does not load the AWS SDK client', async () => {
    const analyzer = createAnalyzer(loadConfig({ ANALYZER: 'rekognition', AWS_REGION: 'eu-west-1', SHUTTER_DATA_DIR: dir }));
    await expect(analyzer.close!()).resolves.toBeUndefined();
  });
});

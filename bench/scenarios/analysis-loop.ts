/**
 * Local analysis off the event loop (issue 19), in process, for the record: what blocking the event loop
 * costs. Cache hits (2 MP → 400 px JPEG, the image handler in this process with its result cache) one
 * after another while the local analyzer detects faces in a 12 MP photo in its worker, against the same
 * detector run on this thread (how local analysis ran before it had a worker): the slowest hit of each.
 *
 * The target's figure of record is `analysis-served.ts` (`shutter serve` built, hits over HTTP, as users get
 * it). This scenario's p99 rows are gone: they measured an analyzer sharing the bench's process and read
 * 10–40 % worse than the same code bundled apart, a gap as wide as two identical builds served side by side
 * showed later (bench/README.md, sessions 8 and 9).
 */
import { LocalAnalyzer } from '../../core/adapters/local/local-analyzer.js';
import { FaceApiDetector } from '../../core/adapters/local/face-api-detector.js';
import { detectFaces, loadFaceModel } from '../../core/adapters/local/face-model.js';
import { planFaceSearch } from '../../core/adapters/local/face-tiles.js';
import { toModelInput } from '../../core/adapters/local/model-input.js';
import { DEFAULTS } from '../../core/limits.js';
import type { BenchContext } from '../context.js';
import { alternate, figure, ratios, repeatWhile, type Sample } from '../harness.js';
import { copyName } from '../inputs.js';
import { JOBS, scaled, shutterPath } from '../jobs.js';

/** The variants, by the names the report prints. */
const QUIET = 'quiet';
const WORKER = 'analysis in the worker';
const MAIN_THREAD = 'analysis on the main thread (before)';

export async function analysisLoop(ctx: BenchContext): Promise<void> {
  const { app } = ctx.shutter({
    LOG_LEVEL: 'warn',
    // A request held up by a blocked event loop (the main-thread row) is timed, not answered 503.
    REQUEST_TIMEOUT_MS: '600000',
  });
  const hit = scaled(
    { ...JOBS.find((job) => job.id === '2mp-jpeg')!, width: 400, label: 'JPEG 2 MP → JPEG 400' },
    ctx.smoke,
  );
  const [pathname, search = ''] = shutterPath(hit, copyName(hit.input, 0)).split('?');
  const request = {
    method: 'GET',
    path: pathname!,
    query: Object.fromEntries(new URLSearchParams(search)),
    headers: {},
  };
  const cacheHit = async (): Promise<number> => {
    const started = performance.now();
    const response = await app.handle(request);
    if (response.status !== 200)
      throw new Error(`shutter answered ${response.status}: ${String(response.body)}`);
    return performance.now() - started;
  };
  await cacheHit(); // renders once: every later request is a hit

  const photo = ctx.inputs.bytes['photo-12mp.jpg'];
  const analyzer = new LocalAnalyzer();
  await analyzer.load();
  // The same detector and looks on this thread, as local analysis ran before the worker.
  const model = await loadFaceModel('ssd_mobilenetv1');
  const size = {
    width: ctx.inputs.sizes['photo-12mp.jpg'].width,
    height: ctx.inputs.sizes['photo-12mp.jpg'].height,
  };
  // Without its proposal look, the search as it ran on this thread before the worker.
  const { proposalSide: _proposalSide, proposalScore: _proposalScore, ...withoutProposals } = new FaceApiDetector().searchOptions;
  const plan = planFaceSearch(size, withoutProposals);

  /** Cache hits one after another until `work` ends (at least `minimum` of them): the slowest. */
  const hitsDuring = async (work: () => Promise<unknown>, minimum = 20): Promise<Sample> => {
    const latencies = await repeatWhile(work, minimum, cacheHit);
    return { value: Math.max(...latencies), count: latencies.length };
  };
  let lastCount = 100;
  ctx.log('analysis in process: the slowest cache hit while a 12 MP photo is analysed, worker against main thread');
  const samples = await alternate(ctx.rounds, {
    [QUIET]: async () => hitsDuring(() => Promise.resolve(), lastCount),
    [WORKER]: async () => {
      const sample = await hitsDuring(() => analyzer.detectSubjects(photo));
      lastCount = sample.count!;
      return sample;
    },
    [MAIN_THREAD]: async () =>
      hitsDuring(async () => detectFaces(model, await toModelInput(photo, { maxSide: plan.copySide }), plan.regions, DEFAULTS.faceMinScore)),
  });
  await analyzer.close();
  const megapixels = Math.round((size.width * size.height) / 1e6);
  const scenario = `in process, cache hits (${hit.label}) while faces are detected in a ${megapixels} MP photo: slowest hit`;
  // A blocked loop holds up only the few hits that arrive while it is blocked: the slowest hit shows it.
  for (const subject of [WORKER, MAIN_THREAD]) {
    ctx.add({
      group: 'analysis',
      scenario,
      subject,
      subjectValue: figure(samples[subject]!),
      baseline: QUIET,
      baselineValue: figure(samples[QUIET]!),
      unit: 'ms max',
      ratio: ratios(samples[subject]!, samples[QUIET]!),
      ...(subject === MAIN_THREAD ? { note: 'for the record: a blocked event loop' } : {}),
    });
  }
}

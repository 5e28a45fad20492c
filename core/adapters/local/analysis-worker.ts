/**
 * The analysis worker's entry: a `worker_threads` thread that owns the models, so inference (seconds
 * of CPU on a large photo) never blocks the main thread's event loop. Each model loads once, on the
 * first job that needs it. Jobs arrive with the encoded image (its ArrayBuffer transferred, not copied),
 * which this thread decodes to the model's input with sharp (libvips' threads do the work; the main
 * thread never touches the pixels), or with pixels decoded elsewhere; they are answered one at a time,
 * in order.
 *
 * Errors go back as plain data (name, message, code, status, stack) for the main thread to rebuild; this
 * thread never exits on a failed job. Like the model modules, it stays free of TypeScript-only syntax.
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { inspectImage } from '../../pipeline/sharp-factory.js';
import { detectFaces, loadFaceModel, type FaceModel, type FaceModelName } from './face-model.js';
import { planFaceSearch, type FaceSearchPlan } from './face-tiles.js';
import { toModelInput, type RgbPixels } from './model-input.js';
import { loadTfjs } from './model-runtime.js';
import { classifyNsfw, loadNsfwModel, type NsfwModel, type NsfwModelName } from './nsfw-model.js';
import type { FacesInImage, ModelJob, ModelReply, ModelRequest, SharpSettings } from './model-worker.js';

// sharp, loading in this thread, has just reset libvips' process-wide cache (and, under glibc without
// jemalloc, its concurrency) to its own defaults: put back what the main thread had configured.
const settings = workerData as SharpSettings | undefined;
if (settings) {
  sharp.concurrency(settings.concurrency);
  sharp.cache(settings.cache);
}

// Inference is background work next to the requests the main thread answers. On Linux the nice
// value is a thread's own (setpriority on "this process" applies to the calling thread), so this puts
// only this thread 10 steps below the process: on a busy machine the main thread gets the cores
// first. Elsewhere it may lower the whole process, or be refused; neither breaks anything.
try {
  os.setPriority(Math.min(19, os.getPriority() + 10));
} catch {
  // Not permitted here: inference simply runs at the process's priority.
}

const nsfwModels = new Map<NsfwModelName, Promise<NsfwModel>>();
const faceModels = new Map<FaceModelName, Promise<FaceModel>>();

/** A model, loaded on first use and kept; a failed load is forgotten so the next job tries again. */
function once<K, V>(cache: Map<K, Promise<V>>, key: K, load: (key: K) => Promise<V>): Promise<V> {
  let loaded = cache.get(key);
  if (!loaded) {
    loaded = load(key).catch((error: unknown) => {
      cache.delete(key);
      throw error;
    });
    cache.set(key, loaded);
  }
  return loaded;
}

/** An image job's pixels (and, for faces, the search plan), with the time the decode took. */
interface Prepared {
  pixels: RgbPixels;
  plan?: FaceSearchPlan;
  decodeMs: number;
}

/**
 * Decodes an image job's pixels as soon as the job arrives (libvips' threads do the work), so the next
 * job's decode overlaps this thread's inference of the current one, as it did when the main thread
 * decoded; the models still run one job at a time.
 */
async function prepare(job: ModelJob): Promise<Prepared | undefined> {
  const started = performance.now();
  switch (job.kind) {
    case 'nsfw-image': {
      const pixels = await toModelInput(Buffer.from(job.image), { square: job.square }, job.limits);
      return { pixels, decodeMs: performance.now() - started };
    }
    case 'faces-image': {
      const image = Buffer.from(job.image);
      const plan = planFaceSearch(await inspectImage(image, job.limits), job.search);
      const pixels = await toModelInput(image, { maxSide: plan.copySide }, job.limits);
      return { pixels, plan, decodeMs: performance.now() - started };
    }
    default:
      return undefined;
  }
}

async function run(job: ModelJob, prepared: Prepared | undefined): Promise<unknown> {
  switch (job.kind) {
    case 'load':
      await Promise.all([
        ...(job.nsfw ? [once(nsfwModels, job.nsfw, loadNsfwModel)] : []),
        ...(job.faces ? [once(faceModels, job.faces, loadFaceModel)] : []),
      ]);
      return undefined;
    case 'tensors':
      return nsfwModels.size + faceModels.size ? (await loadTfjs()).memory().numTensors : 0;
    case 'nsfw':
      return classifyNsfw(await once(nsfwModels, job.model, loadNsfwModel), toPixels(job.pixels));
    case 'faces':
      return detectFaces(await once(faceModels, job.model, loadFaceModel), toPixels(job.pixels), job.regions, job.minScore, job.confirm);
    case 'nsfw-image':
      return classifyNsfw(await once(nsfwModels, job.model, loadNsfwModel), prepared!.pixels);
    case 'faces-image': {
      const { pixels, plan, decodeMs } = prepared!;
      const faces = await detectFaces(await once(faceModels, job.model, loadFaceModel), pixels, plan!.regions, job.minScore, plan!.confirm);
      return { width: pixels.width, height: pixels.height, faces, decodeMs } satisfies FacesInImage;
    }
  }
}

function toPixels(pixels: { data: ArrayBuffer; width: number; height: number }) {
  return { data: Buffer.from(pixels.data), width: pixels.width, height: pixels.height };
}

// The models run one job after another (they share one tfjs engine, and one core's worth of inference
// at a time leaves the other core to the main thread); an image job's decode starts when it arrives.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', ({ id, job }: ModelRequest) => {
  const prepared = prepare(job);
  prepared.catch(() => undefined); // its failure is this job's answer, given in turn below
  queue = queue.then(async () => {
    let reply: ModelReply;
    try {
      reply = { id, ok: true, value: await run(job, await prepared) };
    } catch (error) {
      const { name = 'Error', message = String(error), code, status, stack } = (error ?? {}) as { name?: string; message?: string; code?: unknown; status?: unknown; stack?: unknown };
      const typed = { ...(typeof code === 'string' ? { code } : {}), ...(typeof status === 'number' ? { status } : {}) };
      reply = { id, ok: false, error: { name, message, ...typed, ...(typeof stack === 'string' ? { stack } : {}) } };
    }
    parentPort!.postMessage(reply);
  });
});

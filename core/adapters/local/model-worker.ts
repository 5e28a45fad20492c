/**
 * The main thread's side of the analysis worker (`analysis-worker.ts`): one `worker_threads` thread
 * that owns the models, started on the first job, so inference never blocks this thread's event loop
 * (a cache hit answered while a model runs keeps its usual latency) and the models load once.
 *
 * - The worker prepares the models' pixels itself (`detectFacesInImage`, `classifyNsfwImage`): the main
 *   thread hands over the encoded image, copied once into an ArrayBuffer that is transferred (moved, not
 *   cloned), about a fifth of the pixels' bytes for a 12 MP JPEG; it never decodes, allocates or copies
 *   the pixels, nor builds the sharp pipelines. Pixels prepared elsewhere (tests, benchmarks) cross the
 *   same way: sharp's output lives in memory V8 cannot hand to another thread, so it is copied once.
 * - sharp, loaded again in the worker, resets libvips' process-wide settings (its cache, and under glibc
 *   its concurrency) as it loads: the worker puts back the ones this thread had (`SharpSettings`).
 * - Errors come back as the same typed errors, with the same `code` and `status`, and the stack they were thrown with in the worker.
 * - A worker that dies (a crash, out of memory, `close()`) fails the jobs it held at once with a
 *   retryable `TransientError` (never a hang), and the next job starts a fresh worker.
 * - An idle worker does not keep the process alive, and ends after `DEFAULTS.analysisWorkerIdleMs`
 *   without a job (the models' memory goes back; the next job starts a worker that reloads them);
 *   `close()` terminates it at once.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { HeapInfo } from 'node:v8';
import { DEFAULTS } from '../../limits.js';
import { ImageError, NotImplementedError, RequestError, ShutterError, TransientError } from '../../errors.js';
import type { FaceModelName, RawFace } from './face-model.js';
import sharp from 'sharp';
import type { ImageLimits } from '../../pipeline/sharp-factory.js';
import type { FaceConfirm, FaceSearchOptions, PixelRegion } from './face-tiles.js';
import type { RgbPixels } from './model-input.js';
import type { NsfwModelName } from './nsfw-model.js';
import type { NsfwScores } from './nsfw-taxonomy.js';

/** Pixels as they travel: their own ArrayBuffer, transferred with the message. */
interface PixelsMessage {
  data: ArrayBuffer;
  width: number;
  height: number;
}

/** libvips' process-wide settings as this thread left them, for the worker to put back once sharp has loaded there. */
export interface SharpSettings {
  concurrency: number;
  cache: { memory: number; files: number; items: number };
}

/** What a face search in the worker answers: the faces in the copy it decoded, and that copy's size. */
export interface FacesInImage {
  width: number;
  height: number;
  faces: RawFace[];
  /** How long the worker spent reading and decoding the image before the detector ran (ms): the decode phase. */
  decodeMs: number;
}

export type ModelJob =
  | { kind: 'load'; nsfw?: NsfwModelName; faces?: FaceModelName }
  /** How many tensors the worker's tfjs engine holds (a leak check: constant between analyses). */
  | { kind: 'tensors' }
  | { kind: 'nsfw'; model: NsfwModelName; pixels: PixelsMessage }
  | { kind: 'faces'; model: FaceModelName; minScore: number; pixels: PixelsMessage; regions: PixelRegion[]; confirm?: FaceConfirm }
  /** The encoded image: the worker decodes its square copy (`toModelInput`) and classifies it. */
  | { kind: 'nsfw-image'; model: NsfwModelName; image: ArrayBuffer; square: number; limits: ImageLimits }
  /** The encoded image: the worker reads its size, plans the search (`planFaceSearch`), decodes the copy and detects. */
  | { kind: 'faces-image'; model: FaceModelName; minScore: number; image: ArrayBuffer; search: FaceSearchOptions; limits: ImageLimits };

export interface ModelRequest {
  id: number;
  job: ModelJob;
}

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  status?: number;
  /** Where the worker threw it: the rebuilt error's stack, so a failure in a log or a test says where it came from. */
  stack?: string;
}

export type ModelReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

export interface ModelWorkerOptions {
  /** Heap limits of the worker thread (a runaway model fails its jobs instead of the whole process). */
  resourceLimits?: ResourceLimits;
  /** The worker (and the models' memory) is ended after this long without a job (default `DEFAULTS.analysisWorkerIdleMs`). */
  idleMs?: number;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** A started worker thread and the jobs it holds (each worker answers, or fails, only its own). */
interface Running {
  thread: Worker;
  jobs: Map<number, Pending>;
}

export class ModelWorker {
  private current: Promise<Running> | undefined;
  private nextId = 1;
  private count = 0;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly options: ModelWorkerOptions = {}) {}

  /** Workers started so far: 1 after the first job, and one more for each replacement. */
  get started(): number {
    return this.count;
  }

  /** Whether a worker is up (or starting): false before the first job, after close() and after the idle timeout. */
  get running(): boolean {
    return this.current !== undefined;
  }

  /** Loads models now rather than on their first job (a server that prefers a slower start). */
  async load(models: { nsfw?: NsfwModelName; faces?: FaceModelName }): Promise<void> {
    await this.run({ kind: 'load', ...models });
  }

  /** Tensors held by the worker's tfjs engine (0 before any model loads). */
  async tensors(): Promise<number> {
    return (await this.run({ kind: 'tensors' })) as number;
  }

  classifyNsfw(model: NsfwModelName, pixels: RgbPixels): Promise<NsfwScores> {
    const message = toMessage(pixels);
    return this.run({ kind: 'nsfw', model, pixels: message }, [message.data]) as Promise<NsfwScores>;
  }

  detectFaces(model: FaceModelName, pixels: RgbPixels, regions: PixelRegion[], minScore: number, confirm?: FaceConfirm): Promise<RawFace[]> {
    const message = toMessage(pixels);
    return this.run({ kind: 'faces', model, minScore, pixels: message, regions, ...(confirm && { confirm }) }, [message.data]) as Promise<RawFace[]>;
  }

  /** Moderation of an encoded image, decoded to the model's square in the worker (bad images fail with the usual ImageErrors). */
  classifyNsfwImage(model: NsfwModelName, image: Buffer, square: number, limits: ImageLimits): Promise<NsfwScores> {
    const data = ownCopy(image);
    return this.run({ kind: 'nsfw-image', model, image: data, square, limits }, [data]) as Promise<NsfwScores>;
  }

  /** A face search in an encoded image: the worker reads its header, plans the search, decodes the copy and detects. */
  detectFacesInImage(model: FaceModelName, image: Buffer, search: FaceSearchOptions, minScore: number, limits: ImageLimits): Promise<FacesInImage> {
    const data = ownCopy(image);
    return this.run({ kind: 'faces-image', model, minScore, image: data, search, limits }, [data]) as Promise<FacesInImage>;
  }

  /**
   * The worker thread's V8 heap figures (its models' JS objects, tensors and wasm memory as external
   * memory), or undefined when no worker is up; never starts one. Answered between the worker's
   * instructions, so a memory profile can read it while a model runs.
   */
  async heapStatistics(): Promise<HeapInfo | undefined> {
    const running = await this.current?.catch(() => undefined);
    if (!running) return undefined;
    // An idle worker is unref'd: held, or a process waiting only for this answer would exit first.
    running.thread.ref();
    try {
      return await running.thread.getHeapStatistics();
    } catch {
      return undefined;
    } finally {
      if (running.jobs.size === 0) running.thread.unref();
    }
  }

  /** Terminates the worker; jobs it held fail with a TransientError. A later job starts a new one. */
  async close(): Promise<void> {
    clearTimeout(this.idle);
    const running = await this.current?.catch(() => undefined);
    this.current = undefined;
    await running?.thread.terminate();
  }

  private run(job: ModelJob, transfer: ArrayBuffer[] = []): Promise<unknown> {
    clearTimeout(this.idle);
    const running = (this.current ??= this.spawn());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      running.then(
        ({ thread, jobs }) => {
          jobs.set(id, { resolve, reject });
          thread.ref();
          thread.postMessage({ id, job } satisfies ModelRequest, transfer);
        },
        (error: unknown) => reject(error as Error),
      );
    });
  }

  private async spawn(): Promise<Running> {
    let thread: Worker;
    try {
      thread = await startWorker(this.options.resourceLimits);
    } catch (error) {
      this.current = undefined;
      throw error;
    }
    this.count++;
    const spawned = this.current;
    const running: Running = { thread, jobs: new Map() };
    const forget = () => {
      // A later worker may already be the current one (after close() or the idle timeout).
      if (this.current === spawned) this.current = undefined;
    };
    let failure: Error | undefined;
    thread.on('message', (reply: ModelReply) => {
      const waiting = running.jobs.get(reply.id);
      if (!waiting) return;
      running.jobs.delete(reply.id);
      if (running.jobs.size === 0) {
        thread.unref();
        // Idle: end the worker after a while, so the models' memory goes back (the next job reloads them).
        clearTimeout(this.idle);
        this.idle = setTimeout(() => {
          forget();
          void thread.terminate();
        }, this.options.idleMs ?? DEFAULTS.analysisWorkerIdleMs).unref();
      }
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(rebuildError(reply.error));
    });
    thread.on('error', (error) => {
      failure = error;
    });
    thread.on('exit', (code) => {
      forget();
      const reason = failure ? `: ${failure.message}` : '';
      for (const { reject } of running.jobs.values()) {
        reject(
          new TransientError('LocalAnalysis::WorkerStopped', `The local analysis worker stopped (exit code ${code}${reason}) before answering; the request may be retried.`, 503, {
            ...(failure ? { cause: failure } : {}),
          }),
        );
      }
      running.jobs.clear();
    });
    return running;
  }
}

/**
 * The worker's entry. In an esbuild bundle it is `analysis-worker.mjs`, an entry of its own at the
 * bundle's root (`scripts/build.mjs`), beside the module calling this or one folder up (from
 * `chunks/`). From the TypeScript sources (jest, tests), Node cannot run the entry as it is (the
 * sources import each other with .js specifiers), so it is bundled once per process with the
 * project's one recipe for that (`scripts/bundle-node.mjs`, esbuild, a dev dependency wherever the
 * sources are), next to the sources so that its packages resolve from node_modules.
 */
async function startWorker(resourceLimits: ResourceLimits | undefined): Promise<Worker> {
  const { memory, files, items } = sharp.cache();
  const workerData: SharpSettings = { concurrency: sharp.concurrency(), cache: { memory: memory.max, files: files.max, items: items.max } };
  const options = { workerData, ...(resourceLimits ? { resourceLimits } : {}) };
  if (import.meta.url.endsWith('.ts')) {
    sourceWorker ??= (async () => {
      const root = new URL('../../../', import.meta.url);
      const recipe = new URL('scripts/bundle-node.mjs', root).href;
      const { bundleForNode } = (await import(recipe)) as { bundleForNode: (entry: string, outfile: string) => Promise<string> };
      const outfile = fileURLToPath(new URL(`.cache/analysis-worker/analysis-worker-${process.pid}.mjs`, root));
      return pathToFileURL(await bundleForNode(fileURLToPath(new URL('./analysis-worker.ts', import.meta.url)), outfile));
    })().catch((error: unknown) => {
      sourceWorker = undefined;
      throw error;
    });
    return new Worker(await sourceWorker, options);
  }
  for (const candidate of ['./analysis-worker.mjs', '../analysis-worker.mjs']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return new Worker(url, options);
  }
  throw new NotImplementedError('LocalAnalysis::WorkerMissing', `The local analysis worker (analysis-worker.mjs) is not beside ${import.meta.url}: rebuild with npm run build.`);
}

let sourceWorker: Promise<URL> | undefined;

/** Sharp's pixels copied once into an ArrayBuffer of their own, which can be transferred. */
function toMessage(pixels: RgbPixels): PixelsMessage {
  const data = new ArrayBuffer(pixels.data.byteLength);
  new Uint8Array(data).set(pixels.data);
  return { data, width: pixels.width, height: pixels.height };
}

/** The encoded bytes in an ArrayBuffer of their own, to transfer: the caller keeps its Buffer (other analyses read it). */
function ownCopy(image: Buffer): ArrayBuffer {
  const data = new ArrayBuffer(image.byteLength);
  new Uint8Array(data).set(image);
  return data;
}

/** The error the worker threw, as the same class (by its literal name) with the same code, status and stack. */
function rebuildError(error: SerializedError): Error {
  const rebuilt = rebuildClass(error);
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  return rebuilt;
}

function rebuildClass({ name, message, code, status }: SerializedError): Error {
  if (code !== undefined && status !== undefined) {
    switch (name) {
      case 'ImageError':
        return new ImageError(code, message, status);
      case 'TransientError':
        return new TransientError(code, message, status);
      case 'RequestError':
        return new RequestError(code, message, status);
      case 'NotImplementedError':
        return new NotImplementedError(code, message);
      default:
        return Object.assign(new ShutterError(status, code, message), { name });
    }
  }
  return Object.assign(new Error(message), { name });
}

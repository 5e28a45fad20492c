/**
 * The embedded default analyzer: real models, offline. Moderation from nsfwjs, faces from face-api,
 * and the most salient region from libvips' attention strategy (so a smart crop of a photo without a
 * face still lands on its subject). Both models run in one worker thread (`model-worker.ts`), so the
 * event loop stays free while they think; they load there lazily, once, on first use.
 */
import type { Analyzer, DetectSubjectsOptions, ModerateOptions, ModerationResult, SubjectsResult } from '../../ports/analyzer.js';
import type { ImageLimits } from '../../pipeline/sharp-factory.js';
import { AttentionAnalyzer } from './attention-analyzer.js';
import { FaceApiDetector, type FaceModelName } from './face-api-detector.js';
import { NsfwjsModerator, type NsfwModelName } from './nsfwjs-moderator.js';
import { ModelWorker } from './model-worker.js';

export interface LocalAnalyzerOptions {
  moderationModel?: NsfwModelName;
  faceModel?: FaceModelName;
  limits?: ImageLimits;
  /** The worker the models run in (tests pass one to watch it); a new one otherwise. */
  models?: ModelWorker;
  /** A new worker ends after this long without an analysis (default `DEFAULTS.analysisWorkerIdleMs`). */
  workerIdleMs?: number;
}

export class LocalAnalyzer implements Analyzer {
  readonly name: string;
  private readonly moderator: NsfwjsModerator;
  private readonly faces: FaceApiDetector;
  private readonly attention: AttentionAnalyzer;
  /** The worker the models run in (a memory profile reads its heap). */
  readonly models: ModelWorker;

  constructor(options: LocalAnalyzerOptions = {}) {
    this.models = options.models ?? new ModelWorker(options.workerIdleMs !== undefined ? { idleMs: options.workerIdleMs } : {});
    const shared = { models: this.models, ...(options.limits ? { limits: options.limits } : {}) };
    this.moderator = new NsfwjsModerator({ ...shared, ...(options.moderationModel ? { model: options.moderationModel } : {}) });
    this.faces = new FaceApiDetector({ ...shared, ...(options.faceModel ? { model: options.faceModel } : {}) });
    this.attention = new AttentionAnalyzer(options.limits);
    this.name = `local(${this.moderator.name}+${this.faces.name}+${this.attention.name})`;
  }

  /** Loads every model now instead of on the first request (for a server that prefers a slower start). */
  async load(): Promise<void> {
    await Promise.all([this.moderator.load(), this.faces.load()]);
  }

  /** Terminates the models' worker (shutdown); an analysis after this starts a new one. */
  close(): Promise<void> {
    return this.models.close();
  }

  moderate(image: Buffer, options: ModerateOptions): Promise<ModerationResult> {
    return this.moderator.moderate(image, options);
  }

  async detectSubjects(image: Buffer, options: DetectSubjectsOptions = {}): Promise<SubjectsResult> {
    const started = performance.now();
    const [faces, salient] = await Promise.all([this.faces.detectSubjects(image, options), this.attention.detectSubjects(image)]);
    return {
      analyzer: this.name,
      ms: performance.now() - started,
      faces: faces.faces,
      ...(salient.subject ? { subject: salient.subject } : {}),
    };
  }
}

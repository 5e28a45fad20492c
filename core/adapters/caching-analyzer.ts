/**
 * Wraps any Analyzer so the same image is never analysed twice: results are keyed by the SHA-256 of
 * the image bytes and the analyzer's name (which carries its model and version), kept in a bounded
 * in-memory LRU and, optionally, as JSON files on disk that survive restarts. Concurrent requests for
 * the same image share one analysis.
 *
 * Moderation is asked of the analyzer at a low confidence floor (`DEFAULTS.analysisCacheMinConfidence`)
 * and filtered per request, so one cached answer serves every later threshold at or above the floor.
 *
 * Disk layout: `<directory>/<analyzer>/<sha256[0..2]>/<sha256>.<moderation|subjects>.json`, written
 * to a temporary name then renamed, so a reader never sees half a file. The cache is advisory: a
 * file that cannot be read or written is a miss, never a failed request.
 *
 * Metrics: a hit counts in `shutter_analyzer_cache_hits_total`; only analyses that run (in the
 * adapters) count in `shutter_analyzer_duration_seconds`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { DEFAULTS } from '../limits.js';
import { analyzerCacheHits } from '../observability/metrics.js';
import type { Analyzer, DetectSubjectsOptions, ModerateOptions, ModerationResult, SubjectsResult } from '../ports/analyzer.js';

export interface CachingAnalyzerOptions {
  /** Results kept in memory (default `DEFAULTS.analysisCacheEntries`). */
  entries?: number;
  /** Folder for the on-disk cache; none when absent. */
  directory?: string;
  /** The moderation confidence floor results are computed at (default `DEFAULTS.analysisCacheMinConfidence`). */
  minConfidenceFloor?: number;
}

interface CachedModeration {
  /** The threshold the stored labels were computed at: the entry serves requests at or above it. */
  minConfidence: number;
  result: ModerationResult;
}

type Entry = { kind: 'moderation'; value: CachedModeration } | { kind: 'subjects'; value: SubjectsResult };

export class CachingAnalyzer implements Analyzer {
  readonly name: string;
  private readonly memory: LRUCache<string, Entry>;
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly directory: string | undefined;
  private readonly floor: number;

  constructor(
    private readonly inner: Analyzer,
    options: CachingAnalyzerOptions = {},
  ) {
    this.name = inner.name;
    this.memory = new LRUCache({ max: Math.max(1, options.entries ?? DEFAULTS.analysisCacheEntries) });
    this.directory = options.directory;
    this.floor = options.minConfidenceFloor ?? DEFAULTS.analysisCacheMinConfidence;
  }

  /** Closes the analyzer it caches for (the cache itself holds only memory). */
  async close(): Promise<void> {
    await this.inner.close?.();
  }

  async moderate(image: Buffer, options: ModerateOptions): Promise<ModerationResult> {
    const hash = sha256(image);
    const wanted = options.minConfidence;
    const key = this.key('moderation', hash);
    const found = await this.lookup(key, hash, 'moderation');
    let stored: CachedModeration;
    let cached = false;
    if (found?.kind === 'moderation' && found.value.minConfidence <= wanted) {
      stored = found.value;
      cached = true;
      analyzerCacheHits.inc({ kind: 'moderation' });
    } else {
      const floor = Math.min(wanted, this.floor);
      const entry = await this.once(`${key}@${floor}`, options.signal, async () => {
        const result = await this.inner.moderate(image, { minConfidence: floor, ...(options.source ? { source: options.source } : {}) });
        return this.store(key, hash, { kind: 'moderation', value: { minConfidence: floor, result } });
      });
      stored = entry.value as CachedModeration;
    }
    const { result } = stored;
    return {
      ...result,
      labels: result.labels.filter((label) => label.confidence >= wanted),
      ...(result.contentTypes ? { contentTypes: result.contentTypes.filter((type) => type.confidence >= wanted) } : {}),
      ...(cached ? { cached: true } : {}),
    };
  }

  async detectSubjects(image: Buffer, options: DetectSubjectsOptions = {}): Promise<SubjectsResult> {
    const hash = sha256(image);
    const key = this.key('subjects', hash);
    const found = await this.lookup(key, hash, 'subjects');
    if (found?.kind === 'subjects') {
      analyzerCacheHits.inc({ kind: 'subjects' });
      return { ...found.value, cached: true };
    }
    const entry = await this.once(key, options.signal, async () => {
      const result = await this.inner.detectSubjects(image, options.source ? { source: options.source } : {});
      return this.store(key, hash, { kind: 'subjects', value: result });
    });
    return entry.value as SubjectsResult;
  }

  private key(kind: Entry['kind'], hash: string): string {
    return `${this.inner.name}|${kind}|${hash}`;
  }

  /**
   * Runs `analyse` once per key at a time: later callers wait for the same promise. The shared call
   * gets no caller's signal (one caller giving up must not fail the others); each caller still stops
   * waiting when its own signal aborts.
   */
  private once(key: string, signal: AbortSignal | undefined, analyse: () => Promise<Entry>): Promise<Entry> {
    let running = this.inflight.get(key);
    if (!running) {
      running = analyse().finally(() => this.inflight.delete(key));
      this.inflight.set(key, running);
    }
    return signal ? raceAbort(running, signal) : running;
  }

  private async lookup(key: string, hash: string, kind: Entry['kind']): Promise<Entry | undefined> {
    const hit = this.memory.get(key);
    if (hit) return hit;
    if (!this.directory) return undefined;
    try {
      const value = JSON.parse(await readFile(this.file(hash, kind), 'utf8')) as Entry['value'];
      const entry = { kind, value } as Entry;
      this.memory.set(key, entry);
      return entry;
    } catch {
      return undefined;
    }
  }

  private async store(key: string, hash: string, entry: Entry): Promise<Entry> {
    this.memory.set(key, entry);
    if (this.directory) {
      const file = this.file(hash, entry.kind);
      const temporary = `${file}.${randomUUID()}.tmp`;
      try {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(temporary, JSON.stringify(entry.value));
        await rename(temporary, file);
      } catch {
        await rm(temporary, { force: true }).catch(() => undefined);
      }
    }
    return entry;
  }

  private file(hash: string, kind: Entry['kind']): string {
    const folder = this.inner.name.replace(/[^\w@.+-]+/g, '_');
    return path.join(this.directory!, folder, hash.slice(0, 2), `${hash}.${kind}.json`);
  }
}

/** The SHA-256 of the bytes, hex: the content hash the workflow's Inspect step computes too. */
export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The result cache: rendered images kept in memory, bounded in bytes, least recently used out
 * first. An entry is found by the response's ETag, which already hashes the request, the
 * negotiated formats, the render version and the source object's ETag; so a changed source can
 * never be answered from an old render. On top of that, entries of a source are dropped as soon
 * as a newer ETag of that source is seen, so stale renders do not sit in memory until evicted.
 */
import { LRUCache } from 'lru-cache';

export interface CachedResult {
  body: Buffer;
  contentType: string;
}

export interface ResultCacheOptions {
  /** Total bytes of bodies kept. */
  maxBytes: number;
  /** Larger results are not kept: one huge render must not flush every small one. */
  maxEntryBytes: number;
}

export interface ResultCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
}

/** Identifies a source object across its versions. */
export interface SourceRef {
  bucket: string;
  key: string;
  /** The source's ETag when the result was rendered. */
  etag: string;
}

export class ResultCache {
  private readonly entries: LRUCache<string, CachedResult & { source: string }>;
  /** Per source: the ETag last seen and the cache keys rendered from it. */
  private readonly bySource = new Map<string, { etag: string; keys: Set<string> }>();
  private hits = 0;
  private misses = 0;

  constructor(readonly options: ResultCacheOptions) {
    this.entries = new LRUCache({
      maxSize: options.maxBytes,
      maxEntrySize: options.maxEntryBytes,
      sizeCalculation: (entry) => Math.max(1, entry.body.length),
      // Keep the per-source index in step with evictions.
      dispose: (entry, key) => this.unindex(entry.source, key),
    });
  }

  /** The cached result for `key` rendered from this version of the source, if any. */
  get(key: string, source: SourceRef): CachedResult | undefined {
    this.noteSourceVersion(source);
    const entry = this.entries.get(key);
    if (entry) this.hits++;
    else this.misses++;
    return entry && { body: entry.body, contentType: entry.contentType };
  }

  /** Keeps a result; results over `maxEntryBytes` are not kept. */
  set(key: string, source: SourceRef, result: CachedResult): void {
    if (result.body.length > this.options.maxEntryBytes) return;
    this.noteSourceVersion(source);
    const id = sourceId(source);
    this.entries.set(key, { ...result, source: id });
    // Replacing or evicting entries may have emptied and dropped this source's index: re-create it.
    if (this.entries.has(key)) this.indexOf(id, source.etag).keys.add(key);
  }

  /** Drops every result rendered from any version of a source (e.g. when it is deleted). */
  invalidate(source: Pick<SourceRef, 'bucket' | 'key'>): void {
    const index = this.bySource.get(sourceId(source));
    if (!index) return;
    for (const key of [...index.keys]) this.entries.delete(key);
    this.bySource.delete(sourceId(source));
  }

  stats(): ResultCacheStats {
    return { entries: this.entries.size, bytes: this.entries.calculatedSize, hits: this.hits, misses: this.misses };
  }

  /** A new ETag for a source means every render from the old one is dead weight: drop them. */
  private noteSourceVersion(source: SourceRef): void {
    const id = sourceId(source);
    const index = this.bySource.get(id);
    if (index?.etag === source.etag) return;
    if (index) for (const key of [...index.keys]) this.entries.delete(key);
    this.bySource.set(id, { etag: source.etag, keys: new Set() });
  }

  private indexOf(id: string, etag: string): { etag: string; keys: Set<string> } {
    let index = this.bySource.get(id);
    if (!index) this.bySource.set(id, (index = { etag, keys: new Set() }));
    return index;
  }

  private unindex(source: string, key: string): void {
    const index = this.bySource.get(source);
    if (!index) return;
    index.keys.delete(key);
    if (index.keys.size === 0) this.bySource.delete(source);
  }
}

const sourceId = (source: Pick<SourceRef, 'bucket' | 'key'>) => `${source.bucket}\u0000${source.key}`;

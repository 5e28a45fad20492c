/**
 * A source's header facts (dimensions, frames, orientation, format), remembered by its version:
 * `inspectImage` is a trip through libuv's pool and a header parse by libvips, a measurable part
 * of a small render (bench/README.md, session 5), and a page asks for the same photo at several
 * widths and formats.
 *
 * The key is the object's bucket, key, ETag and size: what the result cache and the answers'
 * ETags already trust to name one version of the bytes. An object without an ETag is inspected
 * every time. Only sources that passed are remembered, and the cache belongs to one set of limits
 * (one handler), so a hit is exactly the verdict `inspectImage` would give again.
 */
import { LRUCache } from 'lru-cache';
import { DEFAULTS } from '../limits.js';
import { inspectImage, type ImageLimits, type SourceInfo } from './sharp-factory.js';
import { sizeOf, type ImageInput } from './source-file.js';

export interface SourceVersion {
  bucket: string;
  key: string;
  etag: string;
}

export type Inspect = (input: ImageInput, limits: ImageLimits) => Promise<SourceInfo>;

export class SourceInfoCache {
  private readonly infos: LRUCache<string, SourceInfo>;

  constructor(
    private readonly limits: ImageLimits,
    options: { maxBytes?: number; inspect?: Inspect } = {},
  ) {
    // Sized by what an entry holds, so long keys cannot grow it past its budget (~150 bytes of facts each).
    this.infos = new LRUCache({ maxSize: options.maxBytes ?? DEFAULTS.sourceInfoBytes, sizeCalculation: (_info, id) => 2 * id.length + 150 });
    this.inspect = options.inspect ?? inspectImage;
  }

  private readonly inspect: Inspect;

  /** The facts of `input`, the bytes (or open file) of `source`, when remembered: at once, touching neither. */
  known(source: SourceVersion, input: ImageInput): SourceInfo | undefined {
    return source.etag ? this.infos.get(idOf(source, input)) : undefined;
  }

  /** The facts of `input`, the bytes of `source`: remembered, or read from its header (and limits checked). */
  async get(source: SourceVersion, input: ImageInput): Promise<SourceInfo> {
    const known = this.known(source, input);
    if (known) return known;
    const info = await this.inspect(input, this.limits);
    if (!source.etag) return info;
    const kept = Object.freeze(info);
    this.infos.set(idOf(source, input), kept);
    return kept;
  }
}

function idOf(source: SourceVersion, input: ImageInput): string {
  return `${source.bucket}\0${source.key}\0${source.etag}\0${sizeOf(input)}`;
}

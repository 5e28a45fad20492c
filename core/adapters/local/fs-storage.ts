import { createHash, randomUUID } from 'node:crypto';
import { closeSync, constants, createReadStream, fstatSync, open as openFile, read as readFd, type Stats } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LRUCache } from 'lru-cache';
import { NotFoundError, RequestError } from '../../errors.js';
import { BucketName, checkKeyPrefix } from '../../image-request.js';
import { contentTypeFromKey } from '../../image-type.js';
import { sourceTooLarge, type ListPage, type ObjectInfo, type PutOptions, type Storage, type StoredFile, type StoredObject } from '../../ports/storage.js';

interface Sidecar {
  etag: string;
  size: number;
  mtimeMs: number;
  contentType?: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
}

/**
 * Buckets as folders: `<root>/<bucket>/<key>`. Object metadata (content type, cache control,
 * ETag) lives in sidecars under `<root>/.meta/`, outside every bucket, so a bucket folder holds
 * only the objects and users may drop files into it by hand.
 *
 * No key can escape its bucket: `.`/`..`/empty segments are refused and every resolved path is
 * checked to stay inside the bucket folder. Writes go to a temporary file and are renamed into
 * place, so a reader never sees a half-written object.
 */
export class FsStorage implements Storage {
  readonly root: string;
  /**
   * Sidecars already read, by sidecar path: a cache hit or a 304 then costs one `stat`. Trusted
   * exactly as a sidecar on disk is, only while the file's size, mtime and inode still match.
   */
  private readonly sidecars = new LRUCache<string, Sidecar & { ino: number }>({ max: 10_000 });

  /**
   * The folders of the valid bucket names seen: a bucket's name is checked (zod, a regex) once, not
   * at every read, where the check touched enough cold code to cost a small render's main thread
   * measurably (bench/README.md, session 6). Bounded, as names come from clients.
   */
  private readonly bucketDirs = new LRUCache<string, string>({ max: 256 });

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /**
   * One open, its fstat and one read: the path is resolved once, and the size checked against
   * `maxBytes`, the bytes read and the sidecar's freshness all come from the same file, even if it
   * is replaced meanwhile. Only the open and the read go through libuv's pool (they may wait for
   * the disk); the fstat and the close of the open descriptor touch no disk (the inode is in memory
   * while the file is open; a file opened for reading has nothing to write back), so they run here
   * at once. (A bucket folder on a network file system would make the fstat a round trip to its
   * server: this adapter is for local disks, as its name says.) As trips through the pool, which
   * renders keep busy, each cost a small render's main thread a wake-up and a promise chain
   * (bench/README.md, "Session 7: small images at 8 in flight").
   */
  async get(bucket: string, key: string, options: { maxBytes?: number } = {}): Promise<StoredObject> {
    const fd = await this.open(bucket, key);
    const stats = this.checked(fd, bucket, key, options.maxBytes);
    let body: Buffer;
    try {
      body = await readAll(fd, stats.size);
    } finally {
      closeQuietly(fd);
    }
    const info = this.knownInfo(bucket, key, stats) ?? (await this.infoOf(bucket, key, stats, body));
    return { ...info, body };
  }

  /**
   * `get`'s open and checks, then the open file handed to `use` instead of its bytes: one trip
   * through libuv's pool (the open) while the object's facts are known; the bytes are read only if
   * `use` asks for them (or the sidecar must be derived from them). Closed here, once `use` and any
   * read it started have settled, on every path.
   */
  async withFile<T>(bucket: string, key: string, options: { maxBytes?: number }, use: (file: StoredFile | StoredObject) => Promise<T>): Promise<T> {
    const fd = await this.open(bucket, key);
    const stats = this.checked(fd, bucket, key, options.maxBytes);
    let body: Promise<Buffer> | undefined;
    try {
      const read = () => (body ??= readAll(fd, stats.size));
      const info = this.knownInfo(bucket, key, stats) ?? (await this.infoOf(bucket, key, stats, await read()));
      const opened: StoredFile = { ...info, fd, read };
      return await use(opened);
    } finally {
      // A read still in flight would land in whatever file next gets this number.
      if (body) await body.catch(() => undefined);
      closeQuietly(fd);
    }
  }

  /**
   * An opened object checked as every read checks it: a regular file, within `maxBytes`; its facts.
   * Closed again when refused. Synchronous, after the open's own await: no promise more on a
   * render's path (test/api/request-cost.test.ts counts them).
   */
  private checked(fd: number, bucket: string, key: string, maxBytes: number | undefined): Stats {
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) throw missing(bucket, key);
      if (maxBytes !== undefined && stats.size > maxBytes) throw sourceTooLarge(key, stats.size, maxBytes);
      return stats;
    } catch (error) {
      closeQuietly(fd);
      throw error;
    }
  }

  /** Opens the object for reading; O_NONBLOCK: a FIFO dropped into a bucket folder must not hang the open (a regular file ignores it). */
  private open(bucket: string, key: string): Promise<number> {
    return openFd(this.pathOf(bucket, key)).catch((error: unknown) => rethrowMissing(error, bucket, key));
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const file = this.pathOf(bucket, key);
    const stats = await stat(file).catch(() => undefined);
    if (!stats?.isFile()) return undefined;
    return this.infoOf(bucket, key, stats);
  }

  async openRead(bucket: string, key: string): Promise<{ info: ObjectInfo; stream: Readable }> {
    const file = this.pathOf(bucket, key);
    const stats = await this.statFile(file, bucket, key);
    const info = await this.infoOf(bucket, key, stats);
    // 256 KB reads (Node's default is 64 KB): a quarter of the syscalls and socket writes for a
    // large original, still a bounded amount of memory per response.
    return { info, stream: createReadStream(file, { highWaterMark: 256 * 1024 }) };
  }

  async put(bucket: string, key: string, body: Buffer | Readable, options: PutOptions = {}): Promise<{ etag: string }> {
    const file = this.pathOf(bucket, key);
    const temporary = path.join(this.root, '.tmp', randomUUID());
    await mkdir(path.dirname(temporary), { recursive: true });
    const hash = createHash('md5');
    try {
      // The file is created before anything can fail, so the cleanup below always finds it. A write
      // stream given a path opens it on its own, later, and pipeline() rejects as soon as the source
      // fails without waiting for that open: on a busy machine it then created the file after the rm.
      const output = await open(temporary, 'w');
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            yield chunk;
          }
        },
        // flush: fsync before close, so a crash cannot leave a renamed but empty file. The stream closes the handle.
        output.createWriteStream({ flush: true }),
      );
      await mkdir(path.dirname(file), { recursive: true }).catch((error: unknown) => rethrowConflict(error, key));
      await rename(temporary, file).catch((error: unknown) => rethrowConflict(error, key));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    const stats = await stat(file);
    const etag = `"${hash.digest('hex')}"`;
    await this.writeSidecar(bucket, key, stats.ino, {
      etag,
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      contentType: options.contentType ?? contentTypeFromKey(key),
      ...(options.cacheControl ? { cacheControl: options.cacheControl } : {}),
      ...(options.metadata ? { metadata: options.metadata } : {}),
    });
    return { etag };
  }

  async list(bucket: string, prefix = '', options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    checkKeyPrefix(prefix);
    const limit = Math.min(options.limit ?? 1000, 1000);
    const bucketDir = this.bucketDir(bucket);
    // Walk only the folder the prefix names, in key order, and stop one key past the page.
    const prefixDir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const keys: string[] = [];
    await collectKeys(path.join(bucketDir, prefixDir), prefixDir ? `${prefixDir}/` : '', { prefix, cursor: options.cursor, want: limit + 1 }, keys);
    const page = keys.slice(0, limit);
    // A file removed between the walk and its stat is simply not listed.
    const infos = await Promise.all(
      page.map(async (key) => {
        const stats = await stat(this.pathOf(bucket, key)).catch(() => undefined);
        return stats?.isFile() ? this.infoOf(bucket, key, stats) : undefined;
      }),
    );
    const objects = infos.filter((info): info is ObjectInfo => info !== undefined);
    return keys.length > limit ? { objects, cursor: page[page.length - 1]! } : { objects };
  }

  async delete(bucket: string, key: string): Promise<void> {
    await rm(this.pathOf(bucket, key), { force: true });
    await rm(this.sidecarPath(bucket, key), { force: true });
    this.sidecars.delete(this.sidecarPath(bucket, key));
  }

  /** The file of an object; throws before touching the disk when the key could escape or cannot be a file name. */
  pathOf(bucket: string, key: string): string {
    const bucketDir = this.bucketDir(bucket);
    const segments = key.split('/');
    // A segment longer than a file name may be (255 bytes) can be an S3 key but never a file here.
    const invalid = (segment: string) => segment === '' || segment === '.' || segment === '..' || Buffer.byteLength(segment) > 255;
    if (key.includes('\0') || segments.some(invalid)) {
      throw new RequestError('ImageSource::InvalidKey', `The key "${key}" is not a valid object key for local storage.`);
    }
    const file = path.resolve(bucketDir, ...segments);
    if (!file.startsWith(bucketDir + path.sep)) {
      throw new RequestError('ImageSource::InvalidKey', `The key "${key}" is not a valid object key for local storage.`);
    }
    return file;
  }

  private bucketDir(bucket: string): string {
    let dir = this.bucketDirs.get(bucket);
    if (dir) return dir;
    if (!BucketName.safeParse(bucket).success) {
      throw new RequestError('ImageBucket::InvalidBucketName', `"${bucket}" is not a valid bucket name.`);
    }
    dir = path.join(this.root, bucket);
    this.bucketDirs.set(bucket, dir);
    return dir;
  }

  private sidecarPath(bucket: string, key: string): string {
    return path.join(this.root, '.meta', bucket, `${key}.json`);
  }

  private async statFile(file: string, bucket: string, key: string) {
    const stats = await stat(file).catch((error: unknown) => rethrowMissing(error, bucket, key));
    if (!stats.isFile()) throw missing(bucket, key);
    return stats;
  }

  /** An object's facts from the sidecar already read, when it is still the file's: at once, without a wait on a render's path. */
  private knownInfo(bucket: string, key: string, stats: FileFacts): ObjectInfo | undefined {
    const known = this.sidecars.get(this.sidecarPath(bucket, key));
    return known && known.ino === stats.ino && isFresh(known, stats) ? infoFrom(key, stats, known) : undefined;
  }

  private async infoOf(bucket: string, key: string, stats: FileFacts, body?: Buffer): Promise<ObjectInfo> {
    const known = this.knownInfo(bucket, key, stats);
    if (known) return known;
    const stored = await readFile(this.sidecarPath(bucket, key), 'utf8')
      .then((text) => JSON.parse(text) as Sidecar)
      .catch(() => undefined);
    if (stored && isFresh(stored, stats)) {
      this.sidecars.set(this.sidecarPath(bucket, key), { ...stored, ino: stats.ino });
      return infoFrom(key, stats, stored);
    }
    // Dropped in by hand or changed behind our back: derive what S3 would report.
    const etag = `"${body ? createHash('md5').update(body).digest('hex') : await md5Of(this.pathOf(bucket, key))}"`;
    const sidecar: Sidecar = { ...stored, etag, size: stats.size, mtimeMs: stats.mtimeMs, contentType: contentTypeFromKey(key) };
    await this.writeSidecar(bucket, key, stats.ino, sidecar).catch(() => undefined);
    return infoFrom(key, stats, sidecar);
  }

  private async writeSidecar(bucket: string, key: string, ino: number, sidecar: Sidecar): Promise<void> {
    const file = this.sidecarPath(bucket, key);
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${randomUUID()}.tmp`;
    await writeFile(temporary, JSON.stringify(sidecar));
    await rename(temporary, file);
    this.sidecars.set(file, { ...sidecar, ino });
  }
}

/** What an object's facts are read from: the file's stat. */
type FileFacts = Pick<Stats, 'size' | 'mtimeMs' | 'mtime' | 'ino'>;

/** A sidecar still describes the file when its size and modification time are the file's. */
function isFresh(sidecar: Sidecar, stats: FileFacts): boolean {
  return sidecar.size === stats.size && sidecar.mtimeMs === stats.mtimeMs;
}

function infoFrom(key: string, stats: FileFacts, sidecar: Sidecar): ObjectInfo {
  return {
    key,
    size: stats.size,
    lastModified: stats.mtime,
    etag: sidecar.etag,
    ...(sidecar.contentType ? { contentType: sidecar.contentType } : {}),
    ...(sidecar.cacheControl ? { cacheControl: sidecar.cacheControl } : {}),
    ...(sidecar.metadata ? { metadata: sidecar.metadata } : {}),
  };
}

/** Opens a file for reading, without following it into a FIFO's wait (see `get`). */
function openFd(file: string): Promise<number> {
  return new Promise((resolve, reject) => openFile(file, constants.O_RDONLY | constants.O_NONBLOCK, (error, fd) => (error ? reject(error) : resolve(fd))));
}

function readInto(fd: number, body: Buffer, offset: number): Promise<number> {
  return new Promise((resolve, reject) => readFd(fd, body, offset, body.length - offset, offset, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))));
}

/** A close that cannot fail the read it ends: the bytes are in hand either way. */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // EIO/EINTR on close of a descriptor opened for reading loses nothing.
  }
}

/**
 * The first `size` bytes of an open file (its size when opened): one read for a file in the page
 * cache. A file that shrank since is returned as it is now, never padded with zeros.
 */
async function readAll(fd: number, size: number): Promise<Buffer> {
  const body = Buffer.allocUnsafeSlow(size);
  let filled = 0;
  while (filled < size) {
    const bytesRead = await readInto(fd, body, filled);
    if (bytesRead === 0) return body.subarray(0, filled);
    filled += bytesRead;
  }
  return body;
}

/** The MD5 of a file, streamed: a listing of large files dropped in by hand holds none of them in memory. */
async function md5Of(file: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

interface KeyScope {
  prefix: string;
  cursor: string | undefined;
  /** Stop once this many keys are collected. */
  want: number;
}

/**
 * Collects the keys under `dir` (whose keys start with `relative`) in S3's order, depth first:
 * siblings sorted by their key, a folder's key ending in "/" (every key inside it starts with
 * that), so the walk meets keys already sorted. Folders the prefix excludes or that lie wholly
 * before the cursor are skipped unread, and the walk stops at `want` keys: a listing's memory is
 * bounded by its page and the entries of the folders on its way, not by the bucket.
 */
async function collectKeys(dir: string, relative: string, scope: KeyScope, keys: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const named = entries
    .filter((entry) => entry.isDirectory() || entry.isFile())
    .map((entry) => ({ entry, key: `${relative}${entry.name}${entry.isDirectory() ? '/' : ''}` }))
    .sort((a, b) => compareKeys(a.key, b.key));
  const { prefix, cursor } = scope;
  for (const { entry, key } of named) {
    if (keys.length >= scope.want) return;
    if (entry.isDirectory()) {
      if (!key.startsWith(prefix) && !prefix.startsWith(key)) continue;
      if (cursor !== undefined && compareKeys(key, cursor) < 0 && !cursor.startsWith(key)) continue;
      await collectKeys(path.join(dir, entry.name), key, scope, keys);
    } else if (key.startsWith(prefix) && (cursor === undefined || compareKeys(key, cursor) > 0)) {
      keys.push(key);
    }
  }
}

/** S3 orders keys by their UTF-8 bytes. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function missing(bucket: string, key: string): NotFoundError {
  return new NotFoundError('NoSuchKey', `The image ${key} does not exist in bucket ${bucket}.`);
}

function rethrowMissing(error: unknown, bucket: string, key: string): never {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') throw missing(bucket, key);
  throw error;
}

function rethrowConflict(error: unknown, key: string): never {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
    throw new RequestError('Storage::KeyConflict', `The key "${key}" conflicts with an existing object or folder.`, 409);
  }
  throw error;
}

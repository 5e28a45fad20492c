/**
 * A source handed to libvips as an open file instead of its bytes: libvips reads it itself, by the
 * descriptor's name (`/proc/self/fd/N`), inside the render's own job in libuv's pool. A small
 * render then makes 2 trips through the pool instead of 3 (open, render; no read), holds no copy of
 * the source and leaves the main thread less to do (bench/README.md, session 8).
 *
 * Two rules keep it exactly the bytes' answer:
 * - **libvips' operation cache must be off** (memory, files and items 0, as `configureSharp` sets
 *   it): the cache keys a load by its file name, and the kernel hands a closed descriptor's number
 *   to the next file opened, so with the cache on, two sources opened in turn as `/proc/self/fd/7`
 *   could be answered with the first one's pixels. It is checked at every use, not assumed.
 * - **only formats libvips loads the same from a file as from bytes** (`FILE_FORMATS`). A file name
 *   reaches loaders that bytes never do (libvips' own `.v` format, its text matrices) and lets an
 *   SVG point at its "neighbours" (the other descriptors in `/proc/self/fd`); any other format,
 *   and any header a file read fails on, is read from the bytes, as before.
 */
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import type { StoredFile } from '../ports/storage.js';

/** A source as an open file: the name libvips opens, its size (fstat), and its bytes on demand. */
export interface SourceFile {
  readonly path: string;
  readonly size: number;
  read(): Promise<Buffer>;
}

/** What the pipeline renders from: the source's bytes, or the open file. */
export type ImageInput = Buffer | SourceFile;

/** Where Linux names the descriptors this process holds open. */
export const OPEN_DESCRIPTORS = '/proc/self/fd';

/** Formats (as `inspectImage` names them) whose loader reads a file exactly as it reads bytes. */
const FILE_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif', 'avif']);

/** True when a source of this format may be rendered from its file (see the module's rules). */
export function readsFromFile(format: string): boolean {
  return FILE_FORMATS.has(format);
}

const folders = new Map<string, boolean>();

/**
 * The folder naming open descriptors when libvips may be handed one now, else undefined (read the
 * bytes): not Linux (no such folder), `null` (turned off), or libvips' cache on.
 */
export function descriptorFolder(folder: string | null = OPEN_DESCRIPTORS): string | undefined {
  if (folder === null) return undefined;
  let exists = folders.get(folder);
  if (exists === undefined) folders.set(folder, (exists = existsSync(folder)));
  return exists && libvipsCacheOff() ? folder : undefined;
}

/** libvips keeps no operation, file or memory between calls (a read of three counters). */
export function libvipsCacheOff(): boolean {
  const { memory, files, items } = sharp.cache();
  return memory.max === 0 && files.max === 0 && items.max === 0;
}

/** The open object as libvips' input, named through `folder` (from {@link descriptorFolder}). */
export function sourceFileOf(file: StoredFile, folder: string): SourceFile {
  return { path: `${folder}/${file.fd}`, size: file.size, read: file.read };
}

export function sizeOf(input: ImageInput): number {
  return Buffer.isBuffer(input) ? input.length : input.size;
}

/** The bytes, for what must see them (analyzers, the SVG cost check): read then, from the same file. */
export function bytesOf(input: ImageInput): Promise<Buffer> {
  return Buffer.isBuffer(input) ? Promise.resolve(input) : input.read();
}

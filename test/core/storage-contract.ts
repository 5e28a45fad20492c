/**
 * The Storage contract: every adapter (local folders, S3 against a real S3-compatible server)
 * runs these same tests.
 */
import { fstatSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { Storage, StoredFile, StoredObject } from '../../core/ports/storage.js';
import { listAll } from '../../core/ports/storage.js';

/** True when `fd` no longer names the file whose inode was `ino` (closed, or its number reused by another file). */
function closedOrReused(fd: number, ino: number): boolean {
  try {
    return fstatSync(fd).ino !== ino;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EBADF';
  }
}

/** `files`: the adapter's objects are files, handed out open by `withFile`; other adapters have no `withFile`. */
export function storageContract(name: string, setup: () => Promise<{ storage: Storage; bucket: string; files?: boolean }>): void {
  describe(`Storage contract: ${name}`, () => {
    let storage: Storage;
    let bucket: string;
    let files: boolean;
    beforeAll(async () => {
      let declared: boolean | undefined;
      ({ storage, bucket, files: declared } = await setup());
      files = declared ?? false;
    });

    test('withFile is there exactly when the objects are files', () => {
      expect(typeof storage.withFile).toBe(files ? 'function' : 'undefined');
    });

    describe('withFile (storages of files)', () => {
      const opened = (object: StoredFile | StoredObject): StoredFile => {
        if (!('fd' in object)) throw new Error('withFile handed bytes for a file');
        return object;
      };

      test("hands the open file: get's facts, a descriptor that reads the bytes, read() the same bytes; closed once use settles", async () => {
        if (!files) return expect(storage.withFile).toBeUndefined();
        const body = Buffer.from('the bytes of an image');
        const { etag } = await storage.put(bucket, 'file/open.bin', body, { contentType: 'image/png', cacheControl: 'max-age=9' });
        const got = await storage.get(bucket, 'file/open.bin');
        let seen: { fd: number; ino: number } | undefined;
        const result = await storage.withFile!(bucket, 'file/open.bin', {}, async (object) => {
          const file = opened(object);
          const { fd: _fd, read: _read, ...facts } = file;
          const { body: _body, ...expected } = got;
          expect(facts).toEqual(expected);
          expect(file.etag).toBe(etag);
          const direct = Buffer.alloc(body.length);
          expect(readSync(file.fd, direct, 0, body.length, 0)).toBe(body.length);
          expect(direct.equals(body)).toBe(true);
          expect((await file.read()).equals(body)).toBe(true);
          expect(await file.read()).toBe(await file.read());
          seen = { fd: file.fd, ino: fstatSync(file.fd).ino };
          return 'used';
        });
        expect(result).toBe('used');
        expect(closedOrReused(seen!.fd, seen!.ino)).toBe(true);
      });

      test('closes the descriptor when use throws, and only after a read it left in flight', async () => {
        if (!files) return expect(storage.withFile).toBeUndefined();
        await storage.put(bucket, 'file/throws.bin', Buffer.alloc(256 * 1024, 7));
        let seen: { fd: number; ino: number } | undefined;
        let pending: Promise<Buffer> | undefined;
        await expect(
          storage.withFile!(bucket, 'file/throws.bin', {}, async (object) => {
            const file = opened(object);
            seen = { fd: file.fd, ino: fstatSync(file.fd).ino };
            pending = file.read();
            throw new Error('render failed');
          }),
        ).rejects.toThrow('render failed');
        expect(closedOrReused(seen!.fd, seen!.ino)).toBe(true);
        const bytes = await pending!;
        expect(bytes.length).toBe(256 * 1024);
        expect(bytes.every((byte) => byte === 7)).toBe(true);
      });

      test("refuses as get does (missing, over maxBytes) without calling use", async () => {
        if (!files) return expect(storage.withFile).toBeUndefined();
        await storage.put(bucket, 'file/big.bin', Buffer.alloc(2048));
        const use = async () => 'never';
        await expect(storage.withFile!(bucket, 'file/missing.bin', {}, use)).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
        await expect(storage.withFile!(bucket, 'file/big.bin', { maxBytes: 1024 }, use)).rejects.toMatchObject({ status: 413, code: 'ImageSource::TooLarge' });
      });
    });

    test('put then get returns the bytes, size, content type and a quoted ETag', async () => {
      const body = Buffer.from('hello image');
      const { etag } = await storage.put(bucket, 'a/b/hello.txt', body, { contentType: 'text/plain', cacheControl: 'max-age=60' });
      expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
      const object = await storage.get(bucket, 'a/b/hello.txt');
      expect(object.body.equals(body)).toBe(true);
      expect(object.size).toBe(body.length);
      expect(object.contentType).toBe('text/plain');
      expect(object.cacheControl).toBe('max-age=60');
      expect(object.etag).toBe(etag);
      expect(Number.isNaN(object.lastModified.getTime())).toBe(false); // a real date (jest realms differ, so no instanceof)
    });

    test('head describes an object, and is undefined for a missing one', async () => {
      await storage.put(bucket, 'head.bin', Buffer.alloc(10, 1));
      expect(await storage.head(bucket, 'head.bin')).toMatchObject({ key: 'head.bin', size: 10 });
      expect(await storage.head(bucket, 'nope.bin')).toBeUndefined();
    });

    test('a missing object is a NotFoundError with code NoSuchKey', async () => {
      await expect(storage.get(bucket, 'missing/object.jpg')).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
    });

    test('an object over maxBytes is refused before it is read', async () => {
      await storage.put(bucket, 'big.bin', Buffer.alloc(2048));
      await expect(storage.get(bucket, 'big.bin', { maxBytes: 1024 })).rejects.toMatchObject({ status: 413, code: 'ImageSource::TooLarge' });
    });

    test('put accepts a stream, and openRead streams it back', async () => {
      await storage.put(bucket, 'stream.bin', Readable.from([Buffer.from('ab'), Buffer.from('cd')]));
      const { info, stream } = await storage.openRead(bucket, 'stream.bin');
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
      expect(Buffer.concat(chunks).toString()).toBe('abcd');
      expect(info.size).toBe(4);
    });

    test('overwriting replaces the object and its ETag', async () => {
      const first = await storage.put(bucket, 'over.txt', Buffer.from('one'));
      const second = await storage.put(bucket, 'over.txt', Buffer.from('two'));
      expect(second.etag).not.toBe(first.etag);
      expect((await storage.get(bucket, 'over.txt')).body.toString()).toBe('two');
    });

    test('keys with spaces and unicode round-trip', async () => {
      const key = 'photos/café €/été (1).jpg';
      await storage.put(bucket, key, Buffer.from('x'));
      expect((await storage.get(bucket, key)).body.toString()).toBe('x');
    });

    test('list pages through a prefix in key order, with nested keys', async () => {
      const keys = Array.from({ length: 7 }, (_, i) => `list/${i % 2 ? 'odd' : 'even'}/item-${i}.jpg`);
      for (const key of keys) await storage.put(bucket, key, Buffer.from(key));
      const page = await storage.list(bucket, 'list/', { limit: 3 });
      expect(page.objects).toHaveLength(3);
      expect(page.cursor).toBeDefined();
      const all: string[] = [];
      for await (const object of listAll(storage, bucket, 'list/')) all.push(object.key);
      expect(all).toEqual([...keys].sort());
      const evens: string[] = [];
      for await (const object of listAll(storage, bucket, 'list/even/')) evens.push(object.key);
      expect(evens).toHaveLength(4);
    });

    test('delete removes an object; deleting a missing one is fine', async () => {
      await storage.put(bucket, 'gone.txt', Buffer.from('x'));
      await storage.delete(bucket, 'gone.txt');
      expect(await storage.head(bucket, 'gone.txt')).toBeUndefined();
      await expect(storage.delete(bucket, 'gone.txt')).resolves.toBeUndefined();
    });
  });
}

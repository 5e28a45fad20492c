/**
 * The Storage contract: every adapter (local folders, S3 against a real S3-compatible server)
 * runs these same tests.
 */
import { Readable } from 'node:stream';
import type { Storage } from '../../core/ports/storage.js';
import { listAll } from '../../core/ports/storage.js';

export function storageContract(name: string, setup: () => Promise<{ storage: Storage; bucket: string }>): void {
  describe(`Storage contract: ${name}`, () => {
    let storage: Storage;
    let bucket: string;
    beforeAll(async () => {
      ({ storage, bucket } = await setup());
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

import { createHook } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { mkdtemp, readdir, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FsStorage } from '../../../core/adapters/local/fs-storage.js';
import { storageContract } from '../storage-contract.js';

storageContract('FsStorage (local folders)', async () => ({
  storage: new FsStorage(await mkdtemp(path.join(tmpdir(), 'shutter-fs-'))),
  bucket: 'contract',
  files: true,
}));

describe('FsStorage: no key escapes its bucket', () => {
  let root: string;
  let storage: FsStorage;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'shutter-fs-'));
    storage = new FsStorage(path.join(root, 'buckets'));
    await mkdir(path.join(root, 'buckets', 'images'), { recursive: true });
    await writeFile(path.join(root, 'secret.txt'), 'secret');
  });

  test.each(['../secret.txt', '../../secret.txt', 'a/../../secret.txt', './x.jpg', 'a//b.jpg', '/etc/passwd', 'a\0b'])(
    'key %j is refused with a 400',
    async (key) => {
      await expect(storage.get('images', key)).rejects.toMatchObject({ status: 400, code: 'ImageSource::InvalidKey' });
      await expect(storage.put('images', key, Buffer.from('x'))).rejects.toMatchObject({ status: 400 });
    },
  );

  test.each(['..', '../images', 'Images', 'a', 'x/y'])('bucket %j is refused with a 400', async (bucket) => {
    await expect(storage.get(bucket, 'x.jpg')).rejects.toMatchObject({ status: 400, code: 'ImageBucket::InvalidBucketName' });
  });

  test.each(['../../secret', '../', 'a/../../', '/etc/pass', 'a//b', './', 'a/./b', 'x\0'])('prefix %j is refused before any listing, naming no host path', async (prefix) => {
    const refused = storage.list('images', prefix, { limit: 1 });
    await expect(refused).rejects.toMatchObject({ status: 400, code: 'Storage::InvalidPrefix' });
    const message = await refused.catch((error: Error) => error.message);
    expect(message).not.toContain('secret');
    expect(message).not.toContain(root);
  });

  test('a listing walks keys in S3 order (UTF-8 bytes, folders by their "/"), page by page from any cursor', async () => {
    const keys = ['a-b.jpg', 'a.jpg', 'a/x.jpg', 'a/y/z.jpg', 'a0.jpg', 'ab/c.jpg', 'b.jpg', 'é.jpg', 'Z.jpg'];
    for (const key of keys) await storage.put('order', key, Buffer.from(key));
    const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect((await storage.list('order')).objects.map((object) => object.key)).toEqual(sorted);
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await storage.list('order', '', { limit: 2, ...(cursor ? { cursor } : {}) });
      paged.push(...page.objects.map((object) => object.key));
      cursor = page.cursor;
    } while (cursor);
    expect(paged).toEqual(sorted);
    expect((await storage.list('order', 'a/', { cursor: 'a/x.jpg' })).objects.map((object) => object.key)).toEqual(['a/y/z.jpg']);
    expect((await storage.list('order', 'a', { limit: 3 })).objects.map((object) => object.key)).toEqual(['a-b.jpg', 'a.jpg', 'a/x.jpg']);
  });

  test('a file dropped into a bucket by hand is served, with an ETag derived from its content', async () => {
    await writeFile(path.join(root, 'buckets', 'images', 'dropped.jpg'), 'jpeg bytes');
    const object = await storage.get('images', 'dropped.jpg');
    expect(object.body.toString()).toBe('jpeg bytes');
    expect(object.contentType).toBe('image/jpeg');
    expect(object.etag).toBe(`"${createHash('md5').update('jpeg bytes').digest('hex')}"`);
  });

  test('get reads a whole object in one open, and answers NoSuchKey for a folder or a FIFO without hanging', async () => {
    // Larger than one read of Node's (and than the 64 KB a pipe or socket would hand back): read to the end.
    const large = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    large.write('start', 0);
    large.write('end', large.length - 3);
    await writeFile(path.join(root, 'buckets', 'images', 'large.bin'), large);
    const object = await storage.get('images', 'large.bin', { maxBytes: large.length });
    expect(object.size).toBe(large.length);
    expect(object.body.equals(large)).toBe(true);
    await expect(storage.get('images', 'large.bin', { maxBytes: large.length - 1 })).rejects.toMatchObject({ status: 413, code: 'ImageSource::TooLarge' });

    await mkdir(path.join(root, 'buckets', 'images', 'folder.jpg'), { recursive: true });
    await expect(storage.get('images', 'folder.jpg')).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
    execFileSync('mkfifo', [path.join(root, 'buckets', 'images', 'fifo.jpg')]);
    await expect(storage.get('images', 'fifo.jpg')).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
    await expect(storage.get('images', 'missing/deeper.jpg')).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
    await expect(storage.get('images', 'large.bin/below.jpg')).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
  });

  test('get leaves no file open behind it, whether it answers or refuses', async () => {
    const openFiles = async () => (await readdir('/proc/self/fd')).length;
    await writeFile(path.join(root, 'buckets', 'images', 'fd.jpg'), 'bytes');
    await storage.get('images', 'fd.jpg'); // sidecar written, caches warm
    const before = await openFiles();
    for (let i = 0; i < 50; i++) {
      await storage.get('images', 'fd.jpg');
      await storage.get('images', 'fd.jpg', { maxBytes: 1 }).catch(() => undefined);
    }
    // The close is not awaited by get: wait for it, however slow the machine.
    const deadline = Date.now() + 30_000;
    while ((await openFiles()) > before && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect(await openFiles()).toBeLessThanOrEqual(before);
  });

  test("get goes through libuv's pool only to open and to read: the fstat and the close of its descriptor run at once", async () => {
    // Each trip through the pool (which renders keep busy) costs a small render's main thread a
    // wake-up and a promise chain: four trips (open, fstat, read, close) were +0.03 ms of it.
    await writeFile(path.join(root, 'buckets', 'images', 'trips.jpg'), Buffer.alloc(200_000, 1));
    await storage.get('images', 'trips.jpg'); // the sidecar written and remembered
    const trips: string[] = [];
    const hook = createHook({
      init(_id, type) {
        if (type.startsWith('FSREQ') || type.startsWith('FILEHANDLE')) trips.push(type);
      },
    }).enable();
    try {
      const object = await storage.get('images', 'trips.jpg', { maxBytes: 1_000_000 });
      expect(object.body.equals(Buffer.alloc(200_000, 1))).toBe(true);
    } finally {
      hook.disable();
    }
    expect(trips).toEqual(['FSREQCALLBACK', 'FSREQCALLBACK']);
  });

  test('a file replaced behind its back (same size, by another process) gets its new ETag, though its sidecar was remembered', async () => {
    const md5 = (text: string) => `"${createHash('md5').update(text).digest('hex')}"`;
    await storage.put('images', 'replaced.jpg', Buffer.from('version 1'));
    expect((await storage.head('images', 'replaced.jpg'))?.etag).toBe(md5('version 1'));
    // Another process writes it the way FsStorage does (new file renamed into place): same size, new inode.
    const other = new FsStorage(path.join(root, 'buckets'));
    await other.put('images', 'replaced.jpg', Buffer.from('version 2'));
    expect((await storage.head('images', 'replaced.jpg'))?.etag).toBe(md5('version 2'));
    // And edited in place by hand.
    await writeFile(path.join(root, 'buckets', 'images', 'replaced.jpg'), 'version three');
    expect((await storage.head('images', 'replaced.jpg'))?.etag).toBe(md5('version three'));
  });

  test('a failed write leaves neither a partial object nor a temporary file behind', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(storage.put('images', 'half.jpg', failing)).rejects.toThrow('client went away');
    expect(await storage.head('images', 'half.jpg')).toBeUndefined();
    expect(await readdir(path.join(root, 'buckets', '.tmp'))).toEqual([]);
  });

  test('a source that fails before the temporary file could be opened leaves no temporary file, however late that open comes', async () => {
    // On a busy machine an open through libuv's pool may finish after the put has failed and
    // cleaned up (pipeline() does not wait for its destination). fs.open, through which a write
    // stream given a path opens it, is held here for temporary files until the put has settled:
    // such a late open happens every time (it left a file in 1 of 3000 puts at load 10).
    const open = fs.open;
    const held: Promise<void>[] = [];
    let putSettled!: () => void;
    const settled = new Promise<void>((resolve) => (putSettled = resolve));
    const failing = new Readable({
      read() {
        this.destroy(new Error('client went away'));
      },
    });
    fs.open = ((file: string, flags: string, mode: number, callback: (error: Error | null, fd?: number) => void) => {
      if (!file.includes(`${path.sep}.tmp${path.sep}`)) return open(file, flags, mode, callback);
      const late = settled.then(
        () =>
          new Promise<void>((done) =>
            open(file, flags, mode, (error, fd) => {
              callback(error, fd);
              done();
            }),
          ),
      );
      held.push(late);
    }) as typeof fs.open;
    try {
      await expect(storage.put('images', 'late.jpg', failing).finally(putSettled)).rejects.toThrow('client went away');
      await Promise.all(held);
    } finally {
      fs.open = open;
    }
    expect(await readdir(path.join(root, 'buckets', '.tmp'))).toEqual([]);
  });
});

/**
 * Giving memory back (core/memory/release-memory.ts), on this machine's glibc with koffi's prebuilt
 * binary: freed blocks stranded below a live one stay resident until malloc_trim returns them; and
 * a platform without glibc, or without the library, is skipped rather than failing.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { bindMallocTrim, onGlibc, releaseMemory } from '../../../core/memory/release-memory.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

test('this machine runs glibc, and malloc_trim binds and answers', async () => {
  expect(onGlibc()).toBe(true);
  const trim = await bindMallocTrim();
  expect(trim).toBeDefined();
  expect([0, 1]).toContain(trim!(0));
});

test('where the C library is not glibc, or the library is missing, there is nothing to call (skipped, no throw)', async () => {
  await expect(bindMallocTrim('libc.so.6', false)).resolves.toBeUndefined();
  await expect(bindMallocTrim('libshutter-no-such-library.so.9', true)).resolves.toBeUndefined();
});

test('a release runs a full GC and the trim, and says so with RSS before and after', async () => {
  const released = await releaseMemory();
  expect(released).toEqual({ rssBeforeMb: expect.any(Number), rssAfterMb: expect.any(Number), gc: true, trimmed: true, ms: expect.any(Number), trimMs: expect.any(Number) });
  expect(released.rssAfterMb).toBeGreaterThan(0);
  expect(await releaseMemory({ gc: false, trim: false })).toMatchObject({ gc: false, trimmed: false });
});

/**
 * In a fresh process (jest's own allocations would blur the figures): 160 MB of 256 KB blocks (under
 * the 1 MB mmap threshold shutter sets, so they live in glibc's main arena, as a burst's smaller
 * buffers do), every 32nd kept alive, the rest freed and collected. The freed pages sit below live
 * blocks, so glibc cannot trim them from the top: a GC alone leaves them resident; the release returns them.
 */
/** Runs `body` (an ES module importing release-memory.ts) in a fresh Node with shutter's malloc settings; its last line of JSON. */
function fresh(body: string): Record<string, { rssBeforeMb: number; rssAfterMb: number; trimmed: boolean; gc: boolean }> {
  const child = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', `import { releaseMemory } from './core/memory/release-memory.ts';\n${body}`], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '1048576' },
  });
  expect(child.stderr).toBe('');
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as ReturnType<typeof fresh>;
}

test('freed memory stranded in glibc arena goes back only with malloc_trim', () => {
  const { gcOnly, released } = fresh(`
    const blocks = Array.from({ length: 640 }, () => Buffer.alloc(256 * 1024, 1));
    const kept = blocks.filter((_, index) => index % 32 === 31);
    blocks.length = 0;
    const gcOnly = await releaseMemory({ trim: false });
    const released = await releaseMemory();
    console.log(JSON.stringify({ kept: kept.length, gcOnly, released }));
  `);
  expect(released!.trimmed).toBe(true);
  // The GC alone frees the blocks into glibc's arena, which keeps nearly all of them resident.
  expect(gcOnly!.rssBeforeMb - gcOnly!.rssAfterMb).toBeLessThan(40);
  // malloc_trim returns the whole free pages: most of the 155 MB freed.
  expect(released!.rssBeforeMb - released!.rssAfterMb).toBeGreaterThan(100);
}, 60_000);

/**
 * V8's side: ~130 MB of dead JS objects (every 50th kept). A regular major GC frees them but keeps
 * the heap's pages committed (measured: RSS 185 → 183 MB); the release's last-resort GC compacts and
 * unmaps them (→ 57 MB).
 */
test("the release's GC gives V8's emptied heap pages back, not only the objects", () => {
  const { released } = fresh(`
    let objects = [];
    for (let i = 0; i < 300000; i++) objects.push({ i, s: 'x'.repeat(50) + i, a: [i, i + 1] });
    const kept = objects.filter((_, i) => i % 50 === 0);
    objects = undefined;
    const released = await releaseMemory({ trim: false });
    console.log(JSON.stringify({ kept: kept.length, released }));
  `);
  expect(released!.gc).toBe(true);
  expect(released!.rssBeforeMb - released!.rssAfterMb).toBeGreaterThan(80);
}, 60_000);

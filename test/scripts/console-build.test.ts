/**
 * The console's build replaces a running server's files without a gap: a page read at any moment
 * of a rebuild names files that exist, and the last build's hashed files go only once it is done.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildConsole } from '../../console/build.mjs';

let outdir: string;
beforeAll(async () => {
  outdir = await mkdtemp(path.join(tmpdir(), 'shutter-console-build-'));
});
afterAll(() => rm(outdir, { recursive: true, force: true }));

/** The files index.html names, relative to the console's folder. */
async function linkedFrom(page: string): Promise<string[]> {
  const html = await readFile(path.join(page, 'index.html'), 'utf8');
  return [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((match) => match[1]!);
}

test('a fresh folder gets the page, its script and stylesheet, and nothing half-written', async () => {
  const { files } = await buildConsole({ outdir, minify: false });
  for (const file of files) expect(existsSync(path.join(outdir, file))).toBe(true);
  const linked = await linkedFrom(outdir);
  expect(linked).toEqual(expect.arrayContaining([expect.stringMatching(/^assets\/app-\w+\.js$/), expect.stringMatching(/^assets\/app-\w+\.css$/), 'favicon.svg']));
  for (const file of linked) expect(existsSync(path.join(outdir, file))).toBe(true);
  expect((await readdir(path.join(outdir, 'assets'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
});

test("a rebuild under a reader: every page read names files that exist; the last build's stale files go after", async () => {
  await buildConsole({ outdir, minify: false });
  const stale = path.join(outdir, 'assets', 'app-STALE000.js');
  await writeFile(stale, '// a previous build');
  let done = false;
  const rebuilt = buildConsole({ outdir, minify: true }).finally(() => (done = true));
  let reads = 0;
  while (!done) {
    // Every read of the page, at any moment of the rebuild, finds it whole and its files there.
    for (const file of await linkedFrom(outdir)) expect(existsSync(path.join(outdir, file))).toBe(true);
    reads++;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { files } = await rebuilt;
  expect(reads).toBeGreaterThan(0);
  expect(existsSync(stale)).toBe(false);
  for (const file of files) expect(existsSync(path.join(outdir, file))).toBe(true);
  expect((await readdir(path.join(outdir, 'assets'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
});

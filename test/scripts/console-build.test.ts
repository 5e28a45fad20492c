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

test("a rebuild under a reader: every page read names files that exist; the replaced page's files stay one build, others go after", async () => {
  await buildConsole({ outdir, minify: false });
  const previous = await linkedFrom(outdir);
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
  // A browser that read the replaced page just before still finds its script and stylesheet...
  const replaced = previous.filter((file) => file.startsWith('assets/'));
  expect(replaced).toHaveLength(2);
  expect(await linkedFrom(outdir)).not.toEqual(previous);
  for (const file of replaced) expect(existsSync(path.join(outdir, file))).toBe(true);
  // ...until the next build: it keeps the files of the page it replaces (here a page naming none), nothing older.
  await writeFile(path.join(outdir, 'index.html'), '<script src="assets/app-GONE0000.js"></script>');
  const { files: final } = await buildConsole({ outdir, minify: true });
  for (const file of replaced) expect(existsSync(path.join(outdir, file))).toBe(false);
  const assets = (await readdir(path.join(outdir, 'assets'))).map((name) => `assets/${name}`);
  expect(assets.sort()).toEqual(final.filter((file) => file.startsWith('assets/')).sort());
});

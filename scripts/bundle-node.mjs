// One recipe for running our TypeScript in Node: esbuild bundles an entry into one ESM file,
// our sources only (packages stay external, loaded from node_modules as they are). Node cannot
// run the sources directly: they import each other with .js specifiers.
import { build } from 'esbuild';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// Plain-JS modules (test/services/services.mjs) stay where they are: they locate files relative to themselves.
const keepMjs = {
  name: 'keep-mjs',
  setup(builder) {
    builder.onResolve({ filter: /\.mjs$/ }, (args) => ({ path: pathToFileURL(path.resolve(args.resolveDir, args.path)).href, external: true }));
  },
};

const base = { bundle: true, platform: 'node', target: 'node22', format: 'esm', packages: 'external', plugins: [keepMjs], logLevel: 'warning' };

/** The local analysis worker's entry: a thread's entry of its own, which core/adapters/local/model-worker.ts looks for beside the bundle. */
const ANALYSIS_WORKER = path.resolve(import.meta.dirname, '..', 'core', 'adapters', 'local', 'analysis-worker.ts');

/**
 * Bundles `entry` into `outfile` and returns `outfile`; `options` adds to or overrides esbuild's.
 * When the bundle holds the local analysis worker's client, the worker's entry is bundled beside it
 * (`analysis-worker.mjs`), so local analysis works from any bundle of ours.
 */
export async function bundleForNode(entry, outfile, options = {}) {
  const { metafile, outputFiles } = await build({ ...base, entryPoints: [entry], outfile, metafile: true, ...options, write: false });
  await writeOutputs(outputFiles);
  const inputs = Object.keys(metafile.inputs);
  if (path.resolve(entry) !== ANALYSIS_WORKER && inputs.some((input) => input.endsWith('core/adapters/local/model-worker.ts'))) {
    const worker = await build({ ...base, entryPoints: [ANALYSIS_WORKER], outfile: path.join(path.dirname(outfile), 'analysis-worker.mjs'), write: false });
    await writeOutputs(worker.outputFiles);
  }
  return outfile;
}

/**
 * Writes esbuild's outputs (`write: false`) each whole: to a temporary name beside it, then renamed
 * over the old file. Two test files may bundle the same entry at once while a third process imports
 * it (or loads a lazy chunk of it): each reader gets an old or a new file, never a truncated one.
 * Files that start with a hashbang are made executable, as esbuild does.
 */
export async function writeOutputs(outputFiles) {
  await Promise.all(
    outputFiles.map(async ({ path: file, contents }) => {
      await mkdir(path.dirname(file), { recursive: true });
      const temporary = `${file}.${randomUUID().slice(0, 8)}.tmp`;
      await writeFile(temporary, contents, { mode: contents[0] === 0x23 && contents[1] === 0x21 ? 0o755 : 0o644 });
      await rename(temporary, file);
    }),
  );
}

/**
 * Removes from `dir` what a build of hashed names left there and this one (`outputFiles`) did not
 * write: run after `writeOutputs`, so readers never find a gap, and never touching another build's
 * file still being written (`.tmp`). Files in `keep` (absolute paths) stay too.
 */
export async function pruneStale(dir, outputFiles, keep = []) {
  const kept = new Set([...outputFiles.map((file) => path.resolve(file.path)), ...keep.map((file) => path.resolve(file))]);
  for (const name of await readdir(dir)) {
    const file = path.resolve(dir, name);
    if (!name.endsWith('.tmp') && !kept.has(file)) await rm(file, { force: true });
  }
}

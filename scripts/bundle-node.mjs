// One recipe for running our TypeScript in Node: esbuild bundles an entry into one ESM file,
// our sources only (packages stay external, loaded from node_modules as they are). Node cannot
// run the sources directly: they import each other with .js specifiers.
import { build } from 'esbuild';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// Plain-JS modules (test/services/services.mjs) stay where they are: they locate files relative to themselves.
const keepMjs = {
  name: 'keep-mjs',
  setup(builder) {
    builder.onResolve({ filter: /\.mjs$/ }, (args) => ({ path: pathToFileURL(path.resolve(args.resolveDir, args.path)).href, external: true }));
  },
};

/** Bundles `entry` into `outfile` and returns `outfile`; `options` adds to or overrides esbuild's. */
export async function bundleForNode(entry, outfile, options = {}) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    packages: 'external',
    plugins: [keepMjs],
    logLevel: 'warning',
    ...options,
  });
  return outfile;
}

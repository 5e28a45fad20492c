// Runs a TypeScript benchmark: esbuild bundles it (packages stay external), then node imports it.
//   node bench/run-ts.mjs bench/events.ts [args...]
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.resolve(process.argv[2]);
const outfile = path.join(root, 'node_modules/.cache/shutter-bench', path.basename(entry).replace(/\.ts$/, '.mjs'));
// Plain-JS modules (test/services/services.mjs) stay where they are: they locate files relative to themselves.
const keepJs = {
  name: 'keep-mjs',
  setup(builder) {
    builder.onResolve({ filter: /\.mjs$/ }, (args) => ({ path: pathToFileURL(path.resolve(args.resolveDir, args.path)).href, external: true }));
  },
};
await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', packages: 'external', plugins: [keepJs], logLevel: 'warning' });
process.argv.splice(1, 2, outfile);
await import(pathToFileURL(outfile).href);

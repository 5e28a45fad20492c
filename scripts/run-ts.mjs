// Runs a TypeScript entry point (bench scripts, one-off tools): bundles it with esbuild into
// .cache/ (packages stay external) and imports it, passing the remaining arguments through.
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

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <entry.ts> [args...]');
  process.exit(2);
}
const outfile = path.resolve('.cache', 'run-ts', `${path.basename(entry, '.ts')}.mjs`);
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  packages: 'external',
  sourcemap: 'inline',
  plugins: [keepMjs],
  logLevel: 'warning',
  // import.meta.dirname must keep pointing at the source folder, not .cache/.
  define: { 'import.meta.dirname': JSON.stringify(path.resolve(path.dirname(entry))) },
});
process.argv = [process.argv[0], outfile, ...args];
await import(pathToFileURL(outfile).href);

// Bundles the CLI (and later the Lambdas) with esbuild. Packages stay external: node_modules is
// present wherever the CLI runs, and sharp's native binary cannot be bundled anyway.
import { build } from 'esbuild';

await build({
  entryPoints: { shutter: 'bin/shutter.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

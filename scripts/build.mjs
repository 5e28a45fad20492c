// Bundles the CLI (and later the Lambdas) with esbuild, and the operator console. Packages stay
// external for the CLI: node_modules is present wherever the CLI runs, and sharp's native binary
// cannot be bundled anyway. The console is bundled whole: the browser gets no CDN.
import { build } from 'esbuild';
import { buildConsole } from '../console/build.mjs';

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
await buildConsole();

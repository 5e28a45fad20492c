// Bundles the CLI (and later the Lambdas) with esbuild, and the operator console. Packages stay
// external for the CLI: node_modules is present wherever the CLI runs, and sharp's native binary
// cannot be bundled anyway. The console is bundled whole: the browser gets no CDN.
import { build } from 'esbuild';
import { buildConsole } from '../console/build.mjs';
import { pruneStale, writeOutputs } from './bundle-node.mjs';

const { outputFiles } = await build({
  // The local analysis worker is a thread's entry of its own (core/adapters/local/model-worker.ts finds it).
  entryPoints: { shutter: 'bin/shutter.ts', 'analysis-worker': 'core/adapters/local/analysis-worker.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  packages: 'external',
  // Adapters loaded on first use (core/adapters/lazy-adapter.ts) become chunks, so their packages
  // (DuckDB, kafkajs, the other AWS clients) load only when called: without splitting, esbuild
  // hoists an external package's import to the top of the one file and it loads at start.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  logLevel: 'warning',
  // Written whole and renamed into place (writeOutputs): a running `shutter serve` (another test's)
  // may load a lazy chunk while this build runs.
  write: false,
});
await writeOutputs(outputFiles);
// Chunk names carry a content hash: last build's chunks would otherwise pile up.
await pruneStale('dist/chunks', outputFiles);
await buildConsole();

// What cdk.json runs: builds the Lambda bundles (scripts/build-lambdas.mjs), bundles the CDK app
// (infra/app.ts) with esbuild — Node cannot run the TypeScript sources directly because they
// import each other with .js specifiers — and runs it. Offline once sharp's arm64 build is cached.
// SHUTTER_SKIP_LAMBDA_BUILD=1 synthesizes with whatever dist/lambda/ already holds.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildLambdas } from './build-lambdas.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.SHUTTER_SKIP_LAMBDA_BUILD !== '1') await buildLambdas();
const outfile = path.join(root, '.cache/cdk/app.mjs');
await build({
  entryPoints: [path.join(root, 'infra/app.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  // Libraries load from node_modules as they are; only our TypeScript is bundled.
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
await import(pathToFileURL(outfile).href);

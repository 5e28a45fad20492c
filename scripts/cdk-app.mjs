// What cdk.json runs: builds the Lambda bundles (scripts/build-lambdas.mjs) and the operator
// console (console/build.mjs, for EnableConsole=Yes), bundles the CDK app (infra/app.ts) with
// scripts/bundle-node.mjs, and runs it. A fresh clone needs nothing built first; offline once sharp's
// arm64 build is cached. SHUTTER_SKIP_LAMBDA_BUILD=1 synthesizes with whatever dist/lambda/ and
// console/dist/ already hold.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildConsole } from '../console/build.mjs';
import { buildLambdas } from './build-lambdas.mjs';
import { bundleForNode } from './bundle-node.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.SHUTTER_SKIP_LAMBDA_BUILD !== '1') {
  await buildLambdas();
  await buildConsole();
}
// One file per run: .cache/ may be shared by several work trees synthesizing at once.
const outfile = path.join(root, `.cache/cdk/app-${process.pid}.mjs`);
await bundleForNode(path.join(root, 'infra/app.ts'), outfile, { sourcemap: 'inline' });
try {
  await import(pathToFileURL(outfile).href);
} finally {
  rmSync(outfile, { force: true });
}

// Bundles bench/workflow-bulk.ts with esbuild and runs it on this Node (22, from npm scripts).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { build } from 'esbuild';

const out = path.resolve('.cache/bench/workflow-bulk.mjs');
await build({ entryPoints: ['bench/workflow-bulk.ts'], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node22', packages: 'external', logLevel: 'warning' });
const result = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', out, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);

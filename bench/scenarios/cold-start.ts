/**
 * Lambda cold start: api/lambda.ts bundled by scripts/build-lambdas.mjs as it is deployed (minified,
 * every package inside except sharp, whose native binary ships next to it), its size,
 * and the time a fresh Node process takes to load it (config, adapters, app: the Lambda init
 * phase) against loading sharp alone, the floor any sharp-based handler pays.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchContext } from '../context.js';
import { alternate, figure, ratios, type Sample } from '../harness.js';
import { ROOT } from '../inputs.js';

const execFileAsync = promisify(execFile);

export async function coldStart(ctx: BenchContext): Promise<void> {
  // The very bundle that is deployed (scripts/build-lambdas.mjs), without the arm64 sharp copy.
  const outDir = path.join(ROOT, '.cache', 'bench', 'lambda');
  await execFileAsync(process.execPath, [path.join(ROOT, 'scripts', 'build-lambdas.mjs'), '--only', 'image-handler', '--outdir', outDir, '--no-sharp'], { cwd: ROOT });
  const outfile = path.join(outDir, 'image-handler', 'index.mjs');
  const size = (await stat(outfile)).size;
  const env = { AWS_LAMBDA_FUNCTION_NAME: 'shutter-bench', AWS_REGION: 'us-east-1', SOURCE_BUCKETS: 'bench-images', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' };
  const loadTime = (specifier: string) => async (): Promise<Sample> => {
    const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`loading ${specifier} failed: ${err.slice(0, 800)}`))));
    });
    return { value: Number(output) };
  };
  ctx.log('cold start: Lambda bundle');
  const samples = await alternate(ctx.smoke ? 2 : ctx.rounds * 2, {
    bundle: loadTime(pathToFileURL(outfile).href),
    sharp: loadTime('sharp'),
  });
  ctx.add({
    group: 'cold start',
    scenario: 'Lambda init: module load in a fresh Node',
    subject: 'api/lambda.ts bundle',
    subjectValue: figure(samples.bundle!),
    baseline: 'import sharp alone',
    baselineValue: figure(samples.sharp!),
    unit: 'ms',
    ratio: ratios(samples.bundle!, samples.sharp!),
    note: `bundle ${(size / 1024).toFixed(0)} KB minified (sharp external)`,
  });
  ctx.add({
    group: 'cold start',
    scenario: 'Lambda bundle size',
    subject: 'api/lambda.ts bundle',
    subjectValue: { min: size / 1024, median: size / 1024, max: size / 1024 },
    unit: 'KB',
    note: 'esbuild, minified, every package inside except sharp',
  });
}

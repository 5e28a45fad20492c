/**
 * Lambda cold start: api/lambda.ts bundled by scripts/build-lambdas.mjs as it is deployed (minified,
 * every package inside except sharp, whose native binary ships next to it), its size,
 * and the time a fresh Node process takes to load it (config, adapters, app: the Lambda init
 * phase) against loading sharp alone, the floor any sharp-based handler pays.
 */
import { build, type Metafile } from 'esbuild';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchContext } from '../context.js';
import { alternate, figure, ratios, type Sample } from '../harness.js';
import { ROOT } from '../inputs.js';
import { esbuildOptions, lambdaEntries, startPathOutputs } from '../../scripts/build-lambdas.mjs';

export async function coldStart(ctx: BenchContext): Promise<void> {
  // The very bundle that is deployed (scripts/build-lambdas.mjs' options), without the arm64 sharp copy.
  const entry = lambdaEntries().find((candidate) => candidate.name === 'image-handler')!;
  const dir = path.join(ROOT, '.cache', 'bench', 'lambda', entry.name);
  await rm(dir, { recursive: true, force: true });
  const { metafile } = (await build({ ...esbuildOptions(entry, dir), metafile: true })) as { metafile: Metafile };
  const outfile = path.join(dir, 'index.mjs');
  const startPath = startPathOutputs(metafile, entry);
  const kb = (outputs: string[]) => outputs.reduce((sum, output) => sum + metafile.outputs[output]!.bytes, 0) / 1024;
  const startKb = kb(startPath);
  const allKb = kb(Object.keys(metafile.outputs).filter((output) => output.endsWith('.mjs')));
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
  // BENCH_BEFORE_LAMBDA=<another build's image-handler/index.mjs>: that build too, side by side.
  const before = process.env.BENCH_BEFORE_LAMBDA;
  const samples = await alternate(ctx.smoke ? 2 : ctx.rounds * 2, {
    bundle: loadTime(pathToFileURL(outfile).href),
    sharp: loadTime('sharp'),
    ...(before ? { before: loadTime(pathToFileURL(path.resolve(before)).href) } : {}),
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
    target: '≤ 1.5×',
    met: ratios(samples.bundle!, samples.sharp!).median <= 1.5,
    note: `start path ${startKb.toFixed(0)} KB of ${allKb.toFixed(0)} KB minified (sharp external)`,
  });
  ctx.add({
    group: 'cold start',
    scenario: 'Lambda bundle size: what a cold start loads',
    subject: 'api/lambda.ts bundle, start path',
    subjectValue: { min: startKb, median: startKb, max: startKb },
    unit: 'KB',
    note: `esbuild, minified, every package inside except sharp; ${allKb.toFixed(0)} KB with the chunks loaded on first use`,
  });
  if (before) {
    ctx.add({
      group: 'cold start',
      scenario: 'Lambda init: after / before',
      subject: 'api/lambda.ts bundle',
      subjectValue: figure(samples.bundle!),
      baseline: 'the bundle in BENCH_BEFORE_LAMBDA',
      baselineValue: figure(samples.before!),
      unit: 'ms',
      ratio: ratios(samples.bundle!, samples.before!),
    });
  }
}

/**
 * Lambda cold start: api/lambda.ts bundled by scripts/build-lambdas.mjs as it is deployed (minified,
 * every package inside except sharp, whose native binary ships next to it), its size,
 * and the time a fresh Node process takes to load it (config, adapters, app: the Lambda init
 * phase) against loading sharp alone, the floor any sharp-based handler pays.
 *
 * Init alone can be made to look small by loading on first use what every request needs (the
 * S3 client): the cost then moves into the first request. So the cold start a client waits for
 * is measured too: init plus the first request (an API Gateway v2 event for a JPEG read from a
 * real S3 API, moto_server, and resized), each in a fresh Node.
 */
import { build, type Metafile } from 'esbuild';
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { BenchContext } from '../context.js';
import { alternate, figure, ratios, stats, type Sample, type Stats } from '../harness.js';
import { ROOT } from '../inputs.js';
import { esbuildOptions, lambdaEntries, startPathOutputs } from '../../scripts/build-lambdas.mjs';
import { startMoto } from '../../test/services/services.mjs';

/**
 * The environment of a fresh Node: this process's, as Lambda's Node 22 runtime has it. That runtime
 * sets no NODE_EXTRA_CA_CERTS (since Node 20, for its cold start), and neither does the stack; a
 * machine that sets one (this one: its whole CA bundle, ~140 certificates) makes every process that
 * loads `tls` parse it, which `import('sharp')` never does (~45 M instructions, session 6).
 */
function lambdaLikeEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _machineWide, ...inherited } = process.env;
  return { ...inherited, ...env };
}

/** Runs `script` (an ES module body) in a fresh Node with `env` (and Node `flags`) and returns what it printed. */
function runFresh(script: string, env: Record<string, string>, flags: string[] = []): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, '--input-type=module', '-e', script], { cwd: ROOT, env: lambdaLikeEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`a fresh Node failed: ${err.slice(0, 800)}`))));
  });
}

/**
 * Samples per block. A sample is one fresh Node, whose load time a busy machine moves by ±50 %;
 * the ratio is taken block by block, median over median of the same block's samples (taken
 * round-robin, so in the same seconds), and the figure is the median of those ratios: its range
 * stays narrow where single samples' ratios range over 2× (bench/README.md, session 6).
 */
const BLOCK = 5;

/** Block-by-block ratios a/b of a figure: each block's median of `a` over its median of `b`. */
function blockRatios(a: Sample[], b: Sample[], name = 'value'): Stats {
  const blocks: number[] = [];
  for (let start = 0; start + BLOCK <= a.length; start += BLOCK) {
    const median = (samples: Sample[]) => figure(samples.slice(start, start + BLOCK), name).median;
    blocks.push(median(a) / median(b));
  }
  return stats(blocks);
}

/**
 * The Node option the deployed functions started with until session 8: Node reads every loaded
 * chunk's source map at start. Traces are now mapped when formatted (core/observability/mapped-stacks.ts).
 */
const SOURCE_MAPS_AT_START = ['--enable-source-maps'];

export async function coldStart(ctx: BenchContext): Promise<void> {
  // The very bundle that is deployed (scripts/build-lambdas.mjs' options), without the arm64 sharp copy.
  const entry = lambdaEntries().find((candidate) => candidate.name === 'image-handler')!;
  // Under dist/ (this checkout's): the bundle resolves sharp from the node_modules beside it.
  const dir = path.join(ROOT, 'dist', 'bench', 'lambda', entry.name);
  await rm(dir, { recursive: true, force: true });
  const { metafile } = (await build({ ...esbuildOptions(entry, dir), metafile: true })) as { metafile: Metafile };
  const outfile = path.join(dir, 'index.mjs');
  const startPath = startPathOutputs(metafile, entry);
  const kb = (outputs: string[]) => outputs.reduce((sum, output) => sum + metafile.outputs[output]!.bytes, 0) / 1024;
  const startKb = kb(startPath);
  const allKb = kb(Object.keys(metafile.outputs).filter((output) => output.endsWith('.mjs')));
  const env = { AWS_LAMBDA_FUNCTION_NAME: 'shutter-bench', AWS_REGION: 'us-east-1', SOURCE_BUCKETS: 'bench-images', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' };
  // Wall time of the import and the process's CPU time meanwhile (a busy machine inflates the first more).
  const loadTime = (specifier: string, flags: string[] = []) => async (): Promise<Sample> => {
    const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(specifier)});
const d = process.cpuUsage(c); process.stdout.write(JSON.stringify([performance.now() - t, (d.user + d.system) / 1000]));`;
    const [value, cpu] = JSON.parse(await runFresh(script, env, flags)) as [number, number];
    return { value, cpu };
  };
  ctx.log('cold start: Lambda bundle');
  // BENCH_BEFORE_LAMBDA=<another build's image-handler/index.mjs>: that build too, side by side.
  const before = process.env.BENCH_BEFORE_LAMBDA;
  // A sample is one fresh Node (well under a second quiet): 2 blocks per round, so a median survives a loaded machine.
  const samples = await alternate(ctx.smoke ? BLOCK : ctx.rounds * 2 * BLOCK, {
    bundle: loadTime(pathToFileURL(outfile).href),
    sharp: loadTime('sharp'),
    sourceMaps: loadTime(pathToFileURL(outfile).href, SOURCE_MAPS_AT_START),
    ...(before ? { before: loadTime(pathToFileURL(path.resolve(before)).href) } : {}),
  });
  const loadRatio = blockRatios(samples.bundle!, samples.sharp!);
  const cpuRatio = blockRatios(samples.bundle!, samples.sharp!, 'cpu');
  ctx.add({
    group: 'cold start',
    scenario: 'Lambda init: module load in a fresh Node',
    subject: 'api/lambda.ts bundle',
    subjectValue: figure(samples.bundle!),
    baseline: 'import sharp alone',
    baselineValue: figure(samples.sharp!),
    unit: 'ms',
    ratio: loadRatio,
    target: '≤ 1.5×',
    met: loadRatio.median <= 1.5,
    note: `ratios of ${BLOCK}-sample block medians; CPU time ${cpuRatio.median.toFixed(2)}× (${cpuRatio.min.toFixed(2)}–${cpuRatio.max.toFixed(2)}); start path ${startKb.toFixed(0)} KB of ${allKb.toFixed(0)} KB minified (sharp external)`,
  });
  ctx.add({
    group: 'cold start',
    scenario: `Lambda init: module load with ${SOURCE_MAPS_AT_START.join(' ')} (deployed until session 8)`,
    subject: 'api/lambda.ts bundle',
    subjectValue: figure(samples.sourceMaps!),
    baseline: 'import sharp alone',
    baselineValue: figure(samples.sharp!),
    unit: 'ms',
    ratio: blockRatios(samples.sourceMaps!, samples.sharp!),
    note: `Node reads and parses the source map of every chunk it loads; as deployed now (maps read when a trace is formatted): ${loadRatio.median.toFixed(2)}×`,
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
      ratio: blockRatios(samples.bundle!, samples.before!),
    });
  }
  await initAndFirstRequest(ctx, { bundle: pathToFileURL(outfile).href, ...(before ? { before: pathToFileURL(path.resolve(before)).href } : {}) });
}

/** Init plus the first request, in a fresh Node per sample, for each bundle; S3 is moto_server. */
async function initAndFirstRequest(ctx: BenchContext, bundles: Record<string, string>): Promise<void> {
  ctx.log('cold start: init + first request (moto_server as S3)');
  const moto = await startMoto();
  try {
    const bucket = 'bench-images';
    const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'astronaut.jpg', Body: await readFile(path.join(ROOT, 'samples', 'astronaut.jpg')), ContentType: 'image/jpeg' }));
    s3.destroy();
    const env = { AWS_LAMBDA_FUNCTION_NAME: 'shutter-bench', AWS_REGION: 'us-east-1', SOURCE_BUCKETS: bucket, S3_ENDPOINT: moto.endpoint, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', LOG_LEVEL: 'silent' };
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/astronaut.jpg',
      rawQueryString: 'width=320&format=webp',
      headers: { accept: 'image/webp,*/*', host: 'bench.execute-api.us-east-1.amazonaws.com' },
      queryStringParameters: { width: '320', format: 'webp' },
      requestContext: { http: { method: 'GET', path: '/astronaut.jpg', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' }, requestId: 'bench', routeKey: '$default', stage: '$default', timeEpoch: 0 },
      isBase64Encoded: false,
    };
    // The handler logs one EMF line per request to stdout: the figures go to stderr's last line instead.
    const coldStart = (url: string) => async (): Promise<Sample> => {
      const script = `const t = performance.now();
const { handler } = await import(${JSON.stringify(url)});
const init = performance.now() - t;
const result = await handler(${JSON.stringify(event)});
const first = performance.now() - t - init;
if (result.statusCode !== 200) throw new Error('first request answered ' + result.statusCode + ': ' + String(result.body).slice(0, 300));
process.stdout.write('\\n' + JSON.stringify({ init, first }));`;
      const output = await runFresh(script, env);
      const { init, first } = JSON.parse(output.trim().split('\n').at(-1)!) as { init: number; first: number };
      return { value: init + first, init, first };
    };
    const samples = await alternate(ctx.smoke ? 2 : ctx.rounds * 2, Object.fromEntries(Object.entries(bundles).map(([name, url]) => [name, coldStart(url)])));
    const split = (name: string) => `init ${figure(samples[name]!, 'init').median.toFixed(0)} ms + first request ${figure(samples[name]!, 'first').median.toFixed(0)} ms (medians)`;
    ctx.add({
      group: 'cold start',
      scenario: 'Lambda init + first request (S3: moto_server), fresh Node',
      subject: 'api/lambda.ts bundle',
      subjectValue: figure(samples.bundle!),
      unit: 'ms',
      note: split('bundle'),
    });
    if (samples.before) {
      ctx.add({
        group: 'cold start',
        scenario: 'Lambda init + first request: after / before',
        subject: 'api/lambda.ts bundle',
        subjectValue: figure(samples.bundle!),
        baseline: 'the bundle in BENCH_BEFORE_LAMBDA',
        baselineValue: figure(samples.before),
        unit: 'ms',
        ratio: ratios(samples.bundle!, samples.before),
        note: `after: ${split('bundle')}; before: ${split('before')}`,
      });
    }
  } finally {
    await moto.stop();
  }
}

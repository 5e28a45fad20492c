// Builds every Lambda bundle into dist/lambda/<name>/: index.mjs (esbuild, ESM, minified, with a
// source map) and, for the functions that use sharp, sharp's linux-arm64 build in node_modules/.
// No Docker: sharp's arm64 packages come from the npm registry once (`npm install --cpu=arm64
// --os=linux`), are cached under .cache/, and copied next to each bundle that imports sharp.
//
// Usage: npm run build:lambdas          (cdk synth runs it too, through scripts/cdk-app.mjs)
//        node scripts/build-lambdas.mjs --outdir <dir> --only image-handler --no-sharp
//        (tests: a bundle outside dist/ that finds this machine's sharp in node_modules)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The functions and their entry points. Workflow tasks are found by convention (every
 * tasks/<name>.ts exporting `handler` becomes task-<name>). `console-api` is deployed only with the console (EnableConsole=Yes).
 */
export function lambdaEntries() {
  const entries = [
    { name: 'image-handler', entry: 'api/lambda.ts', sharp: true },
    // The console's API: its bucket previews render with sharp.
    { name: 'console-api', entry: 'console/server/lambda.ts', sharp: true },
    // Kafka (MSK event source) → the S3 lake. It builds its storage through core/compose.ts, which loads sharp.
    { name: 'events-archiver', entry: 'analytics/lake-writer.ts', sharp: true },
    // The custom resource that creates the Kafka topic (streaming on).
    { name: 'kafka-topic', entry: 'infra/handlers/kafka-topic.ts', sharp: false },
  ];
  const tasksDir = path.join(root, 'tasks');
  if (existsSync(tasksDir)) {
    for (const file of readdirSync(tasksDir).sort()) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
      // Only task handlers: tasks/ also holds their shared modules (task-deps, task-input, ...).
      if (!/^export const handler\b/m.test(readFileSync(path.join(tasksDir, file), 'utf8'))) continue;
      // Every task builds its deps through core/compose.ts, which loads sharp: all need it.
      entries.push({ name: `task-${file.slice(0, -3)}`, entry: `tasks/${file}`, sharp: true });
    }
  }
  return entries;
}

/**
 * Modules core/compose.ts imports for local adapters only. In Lambda those adapters are never
 * chosen (Athena, not DuckDB; Rekognition, not the local analyzer, whose worker and models are not
 * in the bundles), so each is replaced by a stub whose every use throws: DuckDB's native code
 * esbuild cannot bundle, and the local analyzer's ~10 KB chunk a Lambda would never load.
 */
const LOCAL_ONLY_MODULES = {
  '@duckdb/node-api': 'export const DuckDBInstance = { create: fail, fromCache: fail };',
  './adapters/local/local-analyzer.js': 'export class LocalAnalyzer { constructor() { fail(); } }',
};

const localOnlyStubs = {
  name: 'local-only-stubs',
  setup(builder) {
    const filter = new RegExp(`^(${Object.keys(LOCAL_ONLY_MODULES).map((name) => name.replace(/[/.]/g, '\\$&')).join('|')})$`);
    builder.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'local-only' }));
    builder.onLoad({ filter: /.*/, namespace: 'local-only' }, (args) => ({
      contents: `const fail = () => { throw new Error(${JSON.stringify(`${args.path} is local-only: not in Lambda bundles`)}); };
${LOCAL_ONLY_MODULES[args.path]}
export default new Proxy({}, { get: fail });`,
      loader: 'js',
    }));
  },
};

/** sharp's own version, so the arm64 build matches the JavaScript API the code was tested with. */
function sharpVersion() {
  return JSON.parse(readFileSync(path.join(root, 'node_modules/sharp/package.json'), 'utf8')).version;
}

/** node_modules holding sharp for linux-arm64 (glibc, as on Lambda), installed once per version. */
function sharpForLambda() {
  const version = sharpVersion();
  const dir = path.join(root, '.cache/sharp-linux-arm64', version);
  const marker = path.join(dir, 'node_modules/@img/sharp-linux-arm64/package.json');
  if (existsSync(marker)) return path.join(dir, 'node_modules');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'sharp-linux-arm64', private: true }));
  console.log(`[build-lambdas] installing sharp@${version} for linux-arm64 (once)`);
  try {
    execFileSync(
      'npm',
      [
        'install',
        `sharp@${version}`,
        '--os=linux',
        '--cpu=arm64',
        '--libc=glibc',
        '--no-save',
        '--no-package-lock',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
      ],
      { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `Could not install sharp@${version} for linux-arm64 from the npm registry (needed once, then cached in .cache/): ${error.message}`,
    );
  }
  if (!existsSync(marker)) throw new Error(`npm did not install @img/sharp-linux-arm64 into ${dir}`);
  return path.join(dir, 'node_modules');
}

const ENTRY_NAMESPACE = 'lambda-entry';

/**
 * Every bundle's entry point: the trace mapper first, then the function's own module, all of whose
 * exports (its `handler`) it passes on. Traces then read through the bundle's source maps when one
 * is formatted (core/observability/mapped-stacks.ts), not at each cold start as Node's
 * --enable-source-maps would, which parses every loaded chunk's map (bench/README.md, session 8).
 */
const mappedStacksFirst = {
  name: 'mapped-stacks-first',
  setup(builder) {
    builder.onResolve({ filter: new RegExp(`^${ENTRY_NAMESPACE}:`) }, (args) => ({ path: args.path.slice(ENTRY_NAMESPACE.length + 1), namespace: ENTRY_NAMESPACE }));
    builder.onLoad({ filter: /.*/, namespace: ENTRY_NAMESPACE }, (args) => ({
      contents: `import ${JSON.stringify(path.join(root, 'core/observability/mapped-stacks.ts'))};\nexport * from ${JSON.stringify(path.join(root, args.path))};\n`,
      resolveDir: root,
      loader: 'js',
    }));
  },
};

/**
 * esbuild's options for one function's bundle in `dir` (test/infra/lambda-bundles.test.ts builds
 * with the same options to list what each bundle holds and what its start path loads).
 */
export function esbuildOptions(entry, dir) {
  return {
    entryPoints: { index: `${ENTRY_NAMESPACE}:${entry.entry}` },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    // Adapters the composition root imports on first use (core/adapters/lazy-adapter.ts) become
    // chunks that load only when called: the function's start path holds only what it runs.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    // ES module builds first: a CommonJS package reached through a dynamic import() (the AWS SDK
    // clients the composition root loads on first use) becomes a chunk whose only export is
    // `default`, so `const { SFNClient } = await import(...)` found nothing ("t is not a
    // constructor" in the deployed start-image-workflow; npm run rehearse caught it).
    mainFields: ['module', 'main'],
    target: 'node22',
    format: 'esm',
    minify: true,
    // Names stay minified: error classes carry literal names (core/errors.ts), and traces read
    // through the source maps, mapped when a trace is formatted (mappedStacksFirst, above).
    // keepNames cost a cold start one `Object.defineProperty` per function and class it loads,
    // ~12 M of the image Lambda's ~740 M instructions (bench/README.md, session 6).
    keepNames: false,
    // Maps without the sources: stack traces point at our files, the zip stays small.
    sourcemap: true,
    sourcesContent: false,
    // sharp is native: it ships as its own arm64 package next to the bundle.
    external: ['sharp'],
    plugins: [mappedStacksFirst, localOnlyStubs],
    // CommonJS dependencies inside an ESM bundle still call require().
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  };
}

/**
 * The outputs a cold start of `entry` loads, from an esbuild metafile: its entry chunk and every
 * chunk it imports statically (chunks imported with `import()` load on first use, off this path).
 */
export function startPathOutputs(metafile, entry) {
  const outputs = metafile.outputs;
  const first = Object.keys(outputs).find((output) => outputs[output].entryPoint === `${ENTRY_NAMESPACE}:${entry.entry}`);
  const seen = new Set();
  const pending = [first];
  while (pending.length) {
    const output = pending.pop();
    if (seen.has(output)) continue;
    seen.add(output);
    for (const imported of outputs[output].imports) if (imported.kind === 'import-statement' && outputs[imported.path]) pending.push(imported.path);
  }
  return [...seen];
}

/**
 * Builds the entries into `outDir` (default dist/lambda) and returns their names. `only` limits
 * the entries; `sharp: false` leaves sharp out (the bundle then resolves it like any module).
 */
export async function buildLambdas({ outDir = path.join(root, 'dist/lambda'), only, sharp = true } = {}) {
  const entries = lambdaEntries().filter((entry) => !only || only.includes(entry.name));
  const sharpModules = sharp && entries.some((entry) => entry.sharp) ? sharpForLambda() : undefined;
  for (const entry of entries) {
    const dir = path.join(outDir, entry.name);
    rmSync(dir, { recursive: true, force: true });
    await build(esbuildOptions(entry, dir));
    if (entry.sharp && sharpModules)
      cpSync(sharpModules, path.join(dir, 'node_modules'), { recursive: true });
  }
  return entries.map((entry) => entry.name);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({
    options: {
      outdir: { type: 'string' },
      only: { type: 'string', multiple: true },
      'no-sharp': { type: 'boolean' },
    },
  });
  const outDir = path.resolve(values.outdir ?? path.join(root, 'dist/lambda'));
  const names = await buildLambdas({ outDir, only: values.only, sharp: !values['no-sharp'] });
  console.log(`[build-lambdas] built ${names.join(', ')} into ${path.relative(root, outDir)}/`);
}

// Counts the modules an image request loads, for docs/architecture-figures.md (issue 17's "Show").
// Two views, both from esbuild's metafile (as test/scripts/lambda-bundles.test.ts reads it):
//  - the image request path: shutter's own files that api/image-app.ts (the local server's image
//    app) and api/lambda.ts (the image Lambda) import, packages left external; "start" is what
//    the static imports load, "all" adds the adapters loaded on first use (dynamic import());
//  - the image Lambda bundle exactly as `npm run build:lambdas` builds it: every input file
//    (ours and node_modules') on the start path and in the whole bundle, and their output bytes.
//
// Usage: node scripts/module-counts.mjs          (a Markdown table on stdout)
//        node scripts/module-counts.mjs --json   (the same figures as JSON)
//        node scripts/module-counts.mjs --list   (the request path's own files, one a line)
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { esbuildOptions, lambdaEntries, startPathOutputs } from './build-lambdas.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist/module-counts'); // never written: write is false

const isOwn = (input) => !input.startsWith('node_modules/') && !input.includes(':');

/** Inputs of the given outputs of a metafile, deduplicated. */
function inputsOf(metafile, outputs) {
  return [...new Set(outputs.flatMap((output) => Object.keys(metafile.outputs[output].inputs)))];
}

function bytesOf(metafile, outputs) {
  return outputs.filter((output) => output.endsWith('.mjs') || output.endsWith('.js')).reduce((sum, output) => sum + metafile.outputs[output].bytes, 0);
}

/** shutter's own modules an entry imports, packages external (what a reader of the code walks). */
async function requestPath(entry) {
  const { metafile } = await build({
    entryPoints: { index: path.join(root, entry) },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const start = inputsOf(metafile, startPathOutputs(metafile, { entry })).filter(isOwn);
  const all = inputsOf(metafile, Object.keys(metafile.outputs)).filter(isOwn);
  const packages = new Set(
    Object.values(metafile.outputs)
      .flatMap((output) => output.imports)
      .filter((imported) => imported.external && !imported.path.startsWith('node:'))
      .map((imported) => imported.path.split('/').slice(0, imported.path.startsWith('@') ? 2 : 1).join('/')),
  );
  return { entry, start: start.sort(), all: all.sort(), packages: [...packages].sort() };
}

/** The deployed image Lambda bundle: every input, ours and the packages'. */
async function lambdaBundle(name) {
  const entry = lambdaEntries().find((candidate) => candidate.name === name);
  const { metafile } = await build({ ...esbuildOptions(entry, path.join(outdir, name)), write: false, metafile: true, logLevel: 'error' });
  const startOutputs = startPathOutputs(metafile, entry);
  const allOutputs = Object.keys(metafile.outputs);
  const start = inputsOf(metafile, startOutputs);
  const all = inputsOf(metafile, allOutputs);
  return {
    name,
    entry: entry.entry,
    start: { own: start.filter(isOwn).length, packages: start.filter((input) => !isOwn(input)).length, bytes: bytesOf(metafile, startOutputs) },
    all: { own: all.filter(isOwn).length, packages: all.filter((input) => !isOwn(input)).length, bytes: bytesOf(metafile, allOutputs) },
  };
}

const { values } = parseArgs({ options: { json: { type: 'boolean' }, list: { type: 'boolean' } } });
const paths = [await requestPath('api/image-app.ts'), await requestPath('api/lambda.ts')];
const bundle = await lambdaBundle('image-handler');

if (values.list) {
  for (const { entry, all, start } of paths) {
    console.log(`# ${entry}`);
    for (const file of all) console.log(start.includes(file) ? file : `${file} (first use)`);
  }
} else if (values.json) {
  console.log(JSON.stringify({ paths: paths.map(({ entry, start, all, packages }) => ({ entry, start: start.length, all: all.length, packages })), bundle }, null, 2));
} else {
  const kb = (bytes) => `${Math.round(bytes / 1024)} KB`;
  console.log('| what | start path | with first-use adapters |');
  console.log('| --- | ---: | ---: |');
  for (const { entry, start, all, packages } of paths)
    console.log(`| \`${entry}\`: shutter modules (packages: ${packages.length}) | ${start.length} | ${all.length} |`);
  console.log(`| image Lambda bundle (\`${bundle.entry}\`): shutter modules | ${bundle.start.own} | ${bundle.all.own} |`);
  console.log(`| image Lambda bundle: package modules (node_modules files) | ${bundle.start.packages} | ${bundle.all.packages} |`);
  console.log(`| image Lambda bundle: minified output | ${kb(bundle.start.bytes)} | ${kb(bundle.all.bytes)} |`);
}

// Bundles the operator console with esbuild into static files: index.html, one script and one
// stylesheet with content hashes in their names, and their licences. No CDN at run time.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pruneStale, writeOutputs } from '../scripts/bundle-node.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Builds the console into `outdir` (default console/dist), replacing what was there. A running
 * server (another test's, or `shutter serve` while you rebuild) keeps answering throughout: each
 * file is written whole and renamed into place (writeOutputs), the page last, once the files it
 * names are there. The files the replaced page named stay until the next build: a browser that read
 * that page a moment before (or a reader between the page and its script) still finds them. Any
 * other hashed file is removed once the new page is in place.
 */
export async function buildConsole({ outdir = path.join(here, 'dist'), minify = true } = {}) {
  const result = await build({
    entryPoints: { app: path.join(here, 'src/main.tsx') },
    outdir: path.join(outdir, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome115', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify,
    sourcemap: 'linked',
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
    write: false,
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.relative(outdir, file).split(path.sep).join('/'));
  const script = outputs.find((file) => file.endsWith('.js'));
  const style = outputs.find((file) => file.endsWith('.css'));
  if (!script || !style) throw new Error(`console build: missing outputs in ${outputs.join(', ')}`);
  const replaced = await filesNamedBy(outdir);
  await writeOutputs(result.outputFiles);
  const text = (name, contents) => ({ path: path.join(outdir, name), contents: Buffer.from(contents) });
  await writeOutputs([text('favicon.svg', FAVICON), text('index.html', page({ script, style }))]);
  await pruneStale(path.join(outdir, 'assets'), result.outputFiles, replaced);
  return { outdir, files: ['index.html', 'favicon.svg', ...outputs] };
}

/** The hashed files the page in `outdir` names, with their source maps and licences (none before a first build). */
async function filesNamedBy(outdir) {
  const html = await readFile(path.join(outdir, 'index.html'), 'utf8').catch(() => '');
  const linked = [...html.matchAll(/(?:href|src)="(assets\/[^"]+)"/g)].map((match) => path.join(outdir, match[1]));
  return linked.flatMap((file) => [file, `${file}.map`, `${file}.LEGAL.txt`]);
}

// Relative links: the same files work under /console/ locally and under any path of a static site.
const page = ({ script, style }) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>shutter console</title>
    <link rel="icon" href="favicon.svg" type="image/svg+xml" />
    <link rel="stylesheet" href="${style}" />
    <script type="module" src="${script}"></script>
  </head>
  <body>
    <div id="app"></div>
    <noscript>The shutter console needs JavaScript.</noscript>
  </body>
</html>
`;

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="14" fill="#111827"/><circle cx="16" cy="16" r="7" fill="none" stroke="#93c5fd" stroke-width="3"/></svg>
`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { files } = await buildConsole();
  console.log(`console: ${files.join(', ')}`);
}

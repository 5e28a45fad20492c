// Runs a TypeScript entry point (bench scripts, one-off tools): bundles it into .cache/ and
// imports it, passing the remaining arguments through.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleForNode } from './bundle-node.mjs';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <entry.ts> [args...]');
  process.exit(2);
}
const outfile = await bundleForNode(entry, path.resolve('.cache', 'run-ts', `${path.basename(entry, '.ts')}.mjs`), {
  sourcemap: 'inline',
  // import.meta.dirname must keep pointing at the source folder, not .cache/.
  define: { 'import.meta.dirname': JSON.stringify(path.resolve(path.dirname(entry))) },
});
process.argv = [process.argv[0], outfile, ...args];
await import(pathToFileURL(outfile).href);

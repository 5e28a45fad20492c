// Writes events/schemas/*.json from the zod catalog (core/events/event-catalog.ts).
// The catalog is TypeScript, so esbuild bundles it first (packages stay external).
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleForNode } from './bundle-node.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'node_modules/.cache/shutter-scripts/event-json-schemas.mjs');
await bundleForNode(path.join(root, 'core/events/event-json-schemas.ts'), bundle);
const { eventSchemaFiles } = await import(pathToFileURL(bundle).href);
const dir = path.join(root, 'events/schemas');
await mkdir(dir, { recursive: true });
const files = eventSchemaFiles();
for (const name of await readdir(dir)) if (name.endsWith('.json') && !(name in files)) await rm(path.join(dir, name));
for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
console.log(`wrote ${Object.keys(files).length} schemas to events/schemas/`);

/** Keeps the known-codes list in step with the codes the product code throws, both ways. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/images.js';
import { KNOWN_CODES } from './known-codes.js';

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : [],
  );
}

/** Codes passed to an error constructor, and every `Area::Name` literal (tuples, tables), in the code that answers clients: the on-demand path, core, the console's back end and the local engine. */
function thrownCodes(): Set<string> {
  const codes = new Set<string>();
  for (const file of ['api', 'core', 'console/server', 'workflows/engine'].flatMap(sources)) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    for (const match of text.matchAll(/new \w*Error\(\s*(?:\d+,\s*)?'([^']+)'/g)) codes.add(match[1]!);
    for (const match of text.matchAll(/'([A-Z]\w+::[A-Z]\w+)'/g)) codes.add(match[1]!);
  }
  codes.add('ConfigError'); // ConfigError sets its code in its constructor
  return codes;
}

test('every code the product throws is known, and every known code is thrown somewhere', () => {
  const thrown = thrownCodes();
  expect([...thrown].filter((code) => !KNOWN_CODES.has(code) && !/^[a-z]/.test(code)).sort()).toEqual([]);
  expect([...KNOWN_CODES].filter((code) => !thrown.has(code)).sort()).toEqual([]);
});

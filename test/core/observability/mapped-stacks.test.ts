/**
 * The deployed bundles' traces point at shutter's sources without `--enable-source-maps` (which
 * costs the cold start): a fixture bundled with the very options `npm run build:lambdas` uses,
 * minified, then run in a fresh Node as Lambda runs it.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { esbuildOptions } from '../../../scripts/build-lambdas.mjs';
import { mappedStackTrace } from '../../../core/observability/mapped-stacks.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/mapped-stacks');
const outDir = mkdtempSync(path.join(tmpdir(), 'shutter-mapped-stacks-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

let bundle: string;
beforeAll(async () => {
  await build({ ...esbuildOptions({ name: 'fixture', entry: 'test/fixtures/mapped-stacks/entry.ts', sharp: false }, outDir), logLevel: 'error' });
  bundle = path.join(outDir, 'index.mjs');
});

const traceOf = (nodeOptions: string[] = []) => execFileSync(process.execPath, [...nodeOptions, bundle], { cwd: outDir, encoding: 'utf8' });

test('a minified bundle\'s trace names the source file, line, column and function, as --enable-source-maps would', () => {
  const trace = traceOf();
  const lines = trace.trim().split('\n');
  expect(lines[0]).toBe('Error: too big: 5');
  expect(lines[1]).toBe(`    at deepInside (${path.join(FIXTURE, 'thrower.ts')}:4:11)`);
  expect(lines[2]).toBe(`    at ${path.join(FIXTURE, 'entry.ts')}:5:3`);
  // Node's own frames have no map: written as V8 writes them.
  expect(lines.slice(3).every((line) => /^ {4}at .*node:internal\//.test(line))).toBe(true);
  // The same frames Node's own mapping gives, which the hook leaves in charge when it is on.
  const nodes = traceOf(['--enable-source-maps']).trim().split('\n');
  expect(nodes.slice(0, 2)).toEqual(lines.slice(0, 2));
  expect(nodes[2]).toContain(`${path.join(FIXTURE, 'entry.ts')}:5:3`);
});

test('frames of files without a map, and an error whose text cannot be made, are written as they are', () => {
  const site = (file: string | null, functionName: string | null = null) =>
    ({
      getFileName: () => file,
      getLineNumber: () => 3,
      getColumnNumber: () => 7,
      getFunctionName: () => functionName,
      toString: () => `${functionName ?? ''}${functionName ? ' (' : ''}${file ?? 'native'}:3:7${functionName ? ')' : ''}`,
    }) as unknown as NodeJS.CallSite;
  const error = new Error('plain');
  expect(mappedStackTrace(error, [site('/no/such/file.mjs', 'f'), site(null)])).toBe('Error: plain\n    at f (/no/such/file.mjs:3:7)\n    at native:3:7');
  const hostile = Object.create(Error.prototype, { name: { get: () => { throw new Error('no name'); } } }) as Error;
  expect(mappedStackTrace(hostile, [])).toBe('<error>');
});

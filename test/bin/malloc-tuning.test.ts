/**
 * glibc's malloc is tuned where shutter starts (bin/shutter.ts): the CLI's shebang, `npm start` and the
 * Docker image each set it, since glibc reads it from the environment at process start. They must say
 * the same: a setting in one and not another is a product that measures well and runs differently.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const mallocSettings = (text: string) => [...text.matchAll(/\b(MALLOC_[A-Z_]+)=(\d+)/g)].map((match) => `${match[1]}=${match[2]}`).sort();

test('the shebang, npm start and the Dockerfile set the same malloc tunables, the fixed mmap threshold among them', () => {
  const shebang = mallocSettings(read('bin/shutter.ts').split('\n')[0]!);
  const npmStart = mallocSettings((JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start);
  const docker = mallocSettings(read('Dockerfile').split('\n').filter((line) => !line.trim().startsWith('#')).join('\n'));
  expect(shebang).toEqual(['MALLOC_ARENA_MAX=2', 'MALLOC_MMAP_THRESHOLD_=1048576']);
  expect(npmStart).toEqual(shebang);
  expect(docker).toEqual(shebang);
});

/**
 * The layering rule (eslint.config.js) fails the build: `npm run lint` and CI's `eslint .` lint
 * the whole tree with it, and every import that points outward gets the rule's message. Snippets
 * are linted through ESLint's Node API at made-up paths inside each layer, with the project's
 * own config; nothing is written.
 */
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

/** DESIGN.md "Layout": what each layer may import (besides itself and packages). */
const MAY_IMPORT: Record<string, string[]> = {
  core: [],
  api: ['core'],
  tasks: ['core'],
  analytics: ['core'],
  workflows: ['core', 'tasks'],
  'console/server': ['core', 'api', 'tasks', 'workflows', 'analytics'],
  'console/src': ['core', 'api', 'console/server'],
  infra: ['core', 'api', 'tasks', 'workflows', 'analytics', 'console/server'],
  bin: ['core', 'api', 'tasks', 'workflows', 'analytics', 'console/server'],
};
const UNITS = [...Object.keys(MAY_IMPORT), 'test', 'bench', 'scripts'];

/** The messages ESLint gives `code` as if it were the file `file` (relative to the root). */
async function lint(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.map((message) => `${message.ruleId}: ${message.message}`);
}

/** `from` (a folder under `layer`, '' for the layer's root) importing `target/x.js`. */
function importOf(
  layer: string,
  below: string,
  target: string,
  dynamic = false,
): { file: string; code: string } {
  const file = path.posix.join(layer, below, 'probe.ts');
  const up = '../'.repeat(path.posix.dirname(file).split('/').length);
  const specifier = `${up}${target}/x.js`;
  return {
    file,
    code: dynamic
      ? `export const load = () => import('${specifier}');\n`
      : `export { x } from '${specifier}';\n`,
  };
}

const pairs = Object.keys(MAY_IMPORT).flatMap((layer) =>
  UNITS.filter((target) => target !== layer).map((target) => ({
    layer,
    target,
    allowed: MAY_IMPORT[layer]!.includes(target),
  })),
);

describe('the layering rule', () => {
  test.each(pairs.filter((pair) => !pair.allowed))(
    'refuses $layer/ → $target/',
    async ({ layer, target }) => {
      const { file, code } = importOf(layer, '', target);
      const messages = await lint(file, code);
      expect(messages).toEqual([
        expect.stringMatching(
          new RegExp(
            `^no-restricted-imports: .*Layering: ${layer}/ may import only from .*, not ${target}/ `,
          ),
        ),
      ]);
    },
  );

  test.each(pairs.filter((pair) => pair.allowed))('allows $layer/ → $target/', async ({ layer, target }) => {
    const { file, code } = importOf(layer, '', target);
    expect(await lint(file, code)).toEqual([]);
  });

  test('holds at any depth inside a layer, and leaves imports within the layer alone', async () => {
    const deep = importOf('core', 'adapters/local', 'workflows');
    expect(deep.code).toContain("'../../../workflows/x.js'");
    expect(await lint(deep.file, deep.code)).toEqual([
      expect.stringContaining('Layering: core/ may import only from itself (and packages), not workflows/'),
    ]);
    // From core/adapters/local/, '../aws/' and '../../ports/' are core's own folders.
    expect(
      await lint(
        'core/adapters/local/probe.ts',
        "export { a } from '../aws/s3-client.js';\nexport { b } from '../../ports/storage.js';\n",
      ),
    ).toEqual([]);
    const engine = importOf('workflows', 'engine', 'api');
    expect(await lint(engine.file, engine.code)).toEqual([
      expect.stringContaining('Layering: workflows/ may import only from core/, tasks/, not api/'),
    ]);
  });

  test('sees type-only imports and import() as well', async () => {
    expect(
      await lint(
        'core/probe.ts',
        "import type { App } from '../console/server/app.js';\nexport type A = App;\n",
      ),
    ).toEqual([expect.stringContaining('no-restricted-imports: ')]);
    const dynamic = importOf('core', 'adapters', 'analytics', true);
    expect(await lint(dynamic.file, dynamic.code)).toEqual([
      expect.stringMatching(
        /^no-restricted-syntax: Layering: core\/ may import only from itself \(and packages\), not analytics\//,
      ),
    ]);
    const allowed = importOf('console/server', '', 'workflows', true);
    expect(await lint(allowed.file, allowed.code)).toEqual([]);
  });

  test.each(['api', 'tasks', 'workflows', 'analytics', 'console/server', 'console/src'])(
    '%s/ reaches adapters only through core/compose.ts',
    async (layer) => {
      const { file, code } = importOf(layer, '', 'core/adapters/aws');
      expect(await lint(file, code)).toEqual([
        expect.stringContaining(`Layering: ${layer}/ reaches adapters only through core/compose.ts`),
      ]);
      const ports = importOf(layer, '', 'core/ports');
      expect(await lint(ports.file, ports.code)).toEqual([]);
    },
  );

  test.each(['infra', 'bin'])('%s/ composes with adapters directly', async (layer) => {
    const { file, code } = importOf(layer, '', 'core/adapters/local');
    expect(await lint(file, code)).toEqual([]);
  });

  test('an exception allows its one import and nothing else', async () => {
    // The image Lambda's entry builds its S3 client itself; it is still held to api/'s other rules.
    expect(
      await lint('api/lambda.ts', "export { s3Client } from '../core/adapters/aws/s3-client.js';\n"),
    ).toEqual([]);
    expect(await lint('api/lambda.ts', "export { x } from '../workflows/x.js';\n")).toEqual([
      expect.stringContaining('Layering: api/ may import only from core/, not workflows/'),
    ]);
    expect(
      await lint('api/lambda-adapter.ts', "export { s3Client } from '../core/adapters/aws/s3-client.js';\n"),
    ).toEqual([expect.stringContaining('reaches adapters only through core/compose.ts')]);
  });

  test("the browser's code takes only types from the console's server", async () => {
    expect(
      await lint(
        'console/src/pages/probe.tsx',
        "import { moderationRoutes } from '../../server/moderation-routes.js';\nexport const x = moderationRoutes;\n",
      ),
    ).toEqual([
      expect.stringContaining(
        'Layering: console/src/ (the browser) imports only types from console/server/.',
      ),
    ]);
    expect(
      await lint(
        'console/src/pages/probe.tsx',
        "import type { PendingReview } from '../../server/moderation-routes.js';\nexport type X = PendingReview;\n",
      ),
    ).toEqual([]);
  });

  test('is part of the lint that fails the build', () => {
    const scripts = (
      JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.lint).toBe('eslint .');
    expect(readFileSync(path.join(root, 'test/run.sh'), 'utf8')).toMatch(/^npx eslint --max-warnings 0 \.$/m);
  });
});

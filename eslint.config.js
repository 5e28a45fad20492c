import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * The layering (DESIGN.md "Layout", docs/architecture.md), as a rule that fails the build: each
 * folder imports only from the folders listed for it, so every dependency points inward:
 * `core` ← `api`; `core` ← `tasks` ← `workflows`; `core` ← `analytics`; `console/server` over
 * those; `infra` (the CDK app) and `bin` (the CLI) compose everything, but not each other. No
 * product code imports `test/`, `bench/` or `scripts/`, which may themselves import anything.
 */
const LAYERS = {
  core: [],
  api: ['core'],
  tasks: ['core'],
  analytics: ['core'],
  workflows: ['core', 'tasks'],
  'console/server': ['core', 'api', 'tasks', 'workflows', 'analytics'],
  // The browser's code: shared pure modules (the URL builders, the ports' types) and the server's answer types.
  'console/src': ['core', 'api', 'console/server'],
  infra: ['core', 'api', 'tasks', 'workflows', 'analytics', 'console/server'],
  bin: ['core', 'api', 'tasks', 'workflows', 'analytics', 'console/server'],
};
const NOT_PRODUCT = ['test', 'bench', 'scripts'];
/**
 * Adapters are picked from config in one place, `core/compose.ts` (STYLE.md 6): outside `core/`,
 * only the composition points (`infra/`, `bin/`, the exceptions below) import `core/adapters/`.
 */
const ADAPTERS = 'core/adapters';
const MAY_IMPORT_ADAPTERS = ['core', 'infra', 'bin'];
/**
 * Files allowed one import their layer refuses, each with its reason; they are held to every other
 * rule of their layer.
 */
const EXCEPTIONS = {
  // A Lambda entry composes its function like bin/ does: every image request reads S3, so its client is built at init.
  'api/lambda.ts': [ADAPTERS],
};
/** Deepest folder nesting a layer's files reach, plus room to grow. */
const MAX_DEPTH = 7;

/**
 * `no-restricted-imports` matches the import's text, not the file it resolves to, so the rule is
 * written once per folder depth: from `core/adapters/local/x.ts` (depth 3) the top-level `api/`
 * is exactly `../../../api/`, whereas `../aws/` stays inside `core`. A file's own layer is never
 * reached this way (`./` and shallower `../` stay inside it). `import()` is held to the same rule
 * through `no-restricted-syntax` (`no-restricted-imports` sees static imports and re-exports only);
 * its selector spells `/` as `\x2F`, which esquery's regex literals cannot hold.
 */
function layeringRules() {
  const refusal = (layer, allowed, other) =>
    other === ADAPTERS
      ? `Layering: ${layer}/ reaches adapters only through core/compose.ts, not ${ADAPTERS}/ (one composition root picks them from config; see STYLE.md).`
      : `Layering: ${layer}/ may import only from ${allowed.length ? allowed.map((name) => `${name}/`).join(', ') : 'itself (and packages)'}, not ${other}/ (dependencies point inward; see DESIGN.md "Layout").`;
  const configs = [];
  for (const [layer, allowed] of Object.entries(LAYERS)) {
    const refused = [...Object.keys(LAYERS), ...NOT_PRODUCT, ADAPTERS].filter(
      (other) =>
        other !== layer &&
        !allowed.includes(other) &&
        !(other === ADAPTERS && MAY_IMPORT_ADAPTERS.includes(layer)),
    );
    const layerDepth = layer.split('/').length;
    for (let below = 0; layerDepth + below < MAX_DEPTH; below += 1) {
      const depth = layerDepth + below;
      const rules = (except = []) => {
        const targets = refused.filter((other) => !except.includes(other));
        return {
          'no-restricted-imports': [
            'error',
            {
              patterns: targets.map((other) => ({
                regex: `^(\\.\\./){${depth}}${other.replaceAll('/', '\\/')}(\\/|$)`,
                message: refusal(layer, allowed, other),
              })),
            },
          ],
          'no-restricted-syntax': [
            'error',
            ...targets.map((other) => ({
              selector: `ImportExpression > Literal.source[value=/^(\\.\\.\\x2F){${depth}}${other.replaceAll('/', '\\x2F')}(\\x2F|$)/]`,
              message: refusal(layer, allowed, other),
            })),
          ],
        };
      };
      configs.push({ files: [`${layer}/${'*/'.repeat(below)}*.{ts,tsx,mts,mjs,js}`], rules: rules() });
      for (const [file, except] of Object.entries(EXCEPTIONS)) {
        if (file.startsWith(`${layer}/`) && file.split('/').length === depth + 1)
          configs.push({ files: [file], rules: rules(except) });
      }
    }
  }
  return configs;
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'data/',
      'cdk.out/',
      'coverage/',
      '.cache/',
      'test-artifacts/',
      'console/dist/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // The operator console runs in the browser.
  { files: ['console/src/**'], languageOptions: { globals: globals.browser } },
  // The browser bundle takes only types from the console's server: a value import would bundle Node code.
  {
    files: ['console/src/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+server/',
              allowTypeImports: true,
              message: 'Layering: console/src/ (the browser) imports only types from console/server/.',
            },
          ],
        },
      ],
    },
  },
  // An ES module import of node:http(s) loads undici with it (fetch, http2): core/node-http.ts says why and holds the modules.
  {
    files: ['{api,core,tasks,workflows,analytics,bin,console/server}/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['node:http', 'node:https', 'http', 'https'].map((name) => ({
            name,
            allowTypeImports: true,
            message: 'Take http/https from core/node-http.ts (an ES module import of them loads undici); import type is fine.',
          })),
        },
      ],
    },
  },
  ...layeringRules(),
);

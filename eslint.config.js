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
 * Known upward imports, each with the work that removes it; a file listed here is still held to
 * every other rule of its layer.
 */
const PENDING = {};
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
    `Layering: ${layer}/ may import only from ${allowed.length ? allowed.map((name) => `${name}/`).join(', ') : 'itself (and packages)'}, not ${other}/ (dependencies point inward; see DESIGN.md "Layout").`;
  const configs = [];
  for (const [layer, allowed] of Object.entries(LAYERS)) {
    const refused = [...Object.keys(LAYERS), ...NOT_PRODUCT].filter(
      (other) => other !== layer && !allowed.includes(other),
    );
    const layerDepth = layer.split('/').length;
    for (let below = 0; layerDepth + below < MAX_DEPTH; below += 1) {
      const depth = layerDepth + below;
      const up = `(\\.\\./){${depth}}`;
      const patterns = refused.map((other) => ({
        regex: `^${up}${other.replace('/', '\\/')}(\\/|$)`,
        message: refusal(layer, allowed, other),
      }));
      const dynamic = refused.map((other) => ({
        selector: `ImportExpression > Literal.source[value=/^(\\.\\.\\x2F){${depth}}${other.replace('/', '\\x2F')}(\\x2F|$)/]`,
        message: refusal(layer, allowed, other),
      }));
      const rules = (except = []) => ({
        'no-restricted-imports': [
          'error',
          { patterns: patterns.filter((_, index) => !except.includes(refused[index])) },
        ],
        'no-restricted-syntax': ['error', ...dynamic.filter((_, index) => !except.includes(refused[index]))],
      });
      const files = `${layer}/${'*/'.repeat(below)}*.{ts,tsx,mts,mjs,js}`;
      configs.push({ files: [files], rules: rules() });
      for (const [file, except] of Object.entries(PENDING)) {
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
  ...layeringRules(),
);

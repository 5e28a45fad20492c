/**
 * docs/architecture.md names modules by path, and files move (issue 17 moved whole folders): every
 * path it names, and every page it links, must exist, so the page cannot silently go stale.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const PAGE = 'docs/architecture.md';
const text = readFileSync(PAGE, 'utf8');
/** Top-level folders of the repository: a backticked token starting with one of them is a path. */
const ROOTS = new Set(['core', 'api', 'tasks', 'workflows', 'analytics', 'console', 'infra', 'bin', 'test', 'scripts', 'bench', 'docs']);

/** `core/pipeline/steps/` and `tasks/<name>.ts` alike: the part before a placeholder must exist. */
function existingPart(token: string): string {
  const segments = token.split('/');
  const placeholder = segments.findIndex((segment) => /[<>*]/.test(segment));
  return (placeholder === -1 ? segments : segments.slice(0, placeholder)).join('/');
}

const paths = [...new Set([...text.matchAll(/`([^`\s]+)`/g)].map((match) => match[1]!))].filter((token) => token.includes('/') && ROOTS.has(token.split('/')[0]!));
const links = [...new Set([...text.matchAll(/\]\(([^)#\s]+\.md)\)/g)].map((match) => match[1]!))];

test('docs/architecture.md names modules by path: a good many of them', () => {
  expect(paths.length).toBeGreaterThan(60);
  expect(paths).toEqual(expect.arrayContaining(['api/image-handler.ts', 'core/pipeline/render-image.ts', 'workflows/image-workflow.ts', 'analytics/tables.ts']));
});

test('every path docs/architecture.md names exists', () => {
  expect(paths.filter((token) => !existsSync(existingPart(token)))).toEqual([]);
});

test('every page docs/architecture.md links to exists', () => {
  expect(links.length).toBeGreaterThan(0);
  expect(links.filter((link) => !existsSync(path.join(path.dirname(PAGE), link)))).toEqual([]);
});

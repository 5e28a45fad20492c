/**
 * Another checkout's LocalAnalyzer (its sources bundled with this tree's packages, and its own analysis
 * worker beside it), so a change to local analysis is measured against its base in the same rounds.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LocalAnalyzer } from '../core/adapters/local/local-analyzer.js';
import { bundleForNode } from '../scripts/bundle-node.mjs';

export async function beforeAnalyzer(checkout: string): Promise<LocalAnalyzer> {
  const root = path.resolve(checkout);
  const dir = path.resolve('.cache', 'run-ts', 'before-analyzer');
  const outfile = await bundleForNode(path.join(root, 'core/adapters/local/local-analyzer.ts'), path.join(dir, 'local-analyzer.mjs'));
  // bundleForNode put this tree's worker beside it: the checkout's own replaces it.
  await bundleForNode(path.join(root, 'core/adapters/local/analysis-worker.ts'), path.join(dir, 'analysis-worker.mjs'));
  const { LocalAnalyzer: Before } = (await import(pathToFileURL(outfile).href)) as { LocalAnalyzer: typeof LocalAnalyzer };
  return new Before();
}

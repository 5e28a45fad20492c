import type { BuildOptions } from 'esbuild';

/** Bundles `entry` into `outfile` (ESM for Node, packages external) and returns `outfile`. */
export function bundleForNode(entry: string, outfile: string, options?: BuildOptions): Promise<string>;

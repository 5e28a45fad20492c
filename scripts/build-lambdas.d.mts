import type { BuildOptions, Metafile } from 'esbuild';

export interface LambdaEntry {
  /** The function's bundle folder under dist/lambda/ (`image-handler`, `task-inspect`, ...). */
  name: string;
  /** Its entry point, relative to the repository root. */
  entry: string;
  /** Whether sharp's arm64 build ships next to the bundle. */
  sharp: boolean;
}

/** Every function's bundle: the on-demand Lambda, the console's API, one per workflow task. */
export function lambdaEntries(): LambdaEntry[];

/** esbuild's options for `entry`'s bundle in `dir`, as `npm run build:lambdas` builds it. */
export function esbuildOptions(entry: LambdaEntry, dir: string): BuildOptions;

/** Builds the entries into `outDir` (default dist/lambda) and returns their names. */
export function buildLambdas(options?: { outDir?: string; only?: string[]; sharp?: boolean }): Promise<string[]>;

/** The outputs (metafile keys) a cold start of `entry` loads: its entry chunk and the chunks it imports statically. */
export function startPathOutputs(metafile: Metafile, entry: LambdaEntry): string[];

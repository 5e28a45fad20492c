/** Builds the console into `outdir` (default console/dist), replacing what was there. */
export function buildConsole(options?: { outdir?: string; minify?: boolean }): Promise<{ outdir: string; files: string[] }>;

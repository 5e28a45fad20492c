/**
 * The zod that `core/` builds its schemas with: `zod/mini`, zod 4's tree-shakable API, with
 * zod's own English messages. Full `zod` is ~450 KB minified whichever of it a bundle uses (its
 * methods hang on classes); `zod/mini` is functions, so a bundle holds only the ones it calls
 * (~25 KB for the request and config schemas), which is most of a Lambda cold start saved.
 * Same core, same checks: issues, codes and messages are those full zod gives.
 *
 * `zod/mini` registers no messages ("Invalid input" for everything): importing schemas from here
 * instead of from `zod/mini` is what sets English once, before any parse.
 *
 * @example
 * import * as z from './zod.js';
 * const Width = z.optional(z.number().check(z.int(), z.gte(1), z.lte(LIMITS.maxOutputDimension)));
 */
import { config, lazy, type ZodMiniLazy, type ZodMiniType } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';

/**
 * Each schema of `builders` wrapped in `z.lazy`: built on the first parse that reaches it, not when
 * the module loads. A request is validated against the model narrowed to the edits and formats it
 * names (`core/image-request.ts`), so a cold start builds none of the ~60 edit and format schemas,
 * and a request only the few it names (bench/README.md, "Cold start, session 9").
 *
 * @example
 * const FORMAT_OPTIONS = z.lazyEach({ jpeg: () => z.strictObject({ quality: z.optional(z.number()) }) });
 */
export function lazyEach<Builders extends Record<string, () => ZodMiniType>>(
  builders: Builders,
): { [Name in keyof Builders]: ZodMiniLazy<ReturnType<Builders[Name]>> } {
  return Object.fromEntries(Object.entries(builders).map(([name, build]) => [name, lazy(build)])) as {
    [Name in keyof Builders]: ZodMiniLazy<ReturnType<Builders[Name]>>;
  };
}

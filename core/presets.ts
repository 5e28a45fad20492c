/**
 * Named presets: a transformation with a name, usable from every door (`?preset=`, Thumbor
 * `filters:preset()`, base64 `"preset"`), and the only thing admitted in presets-only mode.
 */
import { readFileSync } from 'node:fs';
import * as z from './zod.js';
import { Edits, inInputOrder } from './edits.js';
import { ConfigError } from './errors.js';
import { Output } from './image-request.js';

// Built on first use (`z.lazy`): only a PRESETS_FILE is parsed with them, and the image Lambda's
// cold start has none to parse (bench/README.md, "Session 6: image Lambda cold start").
export const Preset = z.lazy(() => z.strictObject({ edits: z._default(Edits, {}), output: z._default(Output, {}) }));
export type Preset = z.infer<typeof Preset>;
export const PresetCatalog = z.lazy(() => z.record(z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i)), Preset));
export type PresetCatalog = z.infer<typeof PresetCatalog>;

/** Sizes for the common slots of a web page; each keeps the aspect ratio and never enlarges. */
export const DEFAULT_PRESETS: PresetCatalog = {
  thumbnail: { edits: { resize: { width: 150, height: 150, fit: 'cover', position: 'attention' } }, output: {} },
  small: { edits: { resize: { width: 320, fit: 'inside', withoutEnlargement: true } }, output: {} },
  medium: { edits: { resize: { width: 800, fit: 'inside', withoutEnlargement: true } }, output: {} },
  large: { edits: { resize: { width: 1600, fit: 'inside', withoutEnlargement: true } }, output: {} },
};

/** The built-in presets, extended or overridden by a JSON file when one is configured. */
export function loadPresets(file: string | undefined): Readonly<PresetCatalog> {
  if (!file) return DEFAULT_PRESETS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError([`PRESETS_FILE: ${file} could not be read as JSON (${(error as Error).message})`]);
  }
  const result = PresetCatalog.safeParse(parsed);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `PRESETS_FILE ${file}: ${issue.path.join('.')}: ${issue.message}`));
  }
  const presets = Object.entries(result.data).map(([name, preset]) => {
    const edits = inInputOrder(preset.edits, (parsed as Record<string, { edits?: unknown }>)[name]?.edits);
    return [name, { ...preset, edits }] as const;
  });
  return Object.freeze({ ...DEFAULT_PRESETS, ...Object.fromEntries(presets) });
}

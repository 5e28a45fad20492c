/**
 * One rendition, defined once: the Render task returns it (with its render time), Publish lists
 * it in the manifest (with its public URL), the console shows it. This module imports nothing,
 * Node or DOM, so the console's browser code imports its types too. The rendition *sets* (presets,
 * keys, requests) are `core/renditions.ts`.
 */

/** Formats a rendition may be written in: those every browser or CDN path serves. */
export const RENDITION_FORMATS = ['avif', 'webp', 'jpeg', 'png'] as const;
export type RenditionFormat = (typeof RENDITION_FORMATS)[number];

/** A rendition written to the renditions bucket. */
export interface Rendition {
  /** The preset's name, e.g. `thumbnail`. */
  preset: string;
  format: RenditionFormat;
  bucket: string;
  key: string;
  width: number;
  height: number;
  bytes: number;
  contentType: string;
}

/** As the Render task returns it: with the time to render and write it, so analytics time renditions, not whole workflows. */
export interface RenderedRendition extends Rendition {
  ms: number;
}

/** As the manifest lists it: with its public URL (`renditionUrl` in core/renditions.ts). */
export interface ManifestRendition extends Rendition {
  url: string;
}

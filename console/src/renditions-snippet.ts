/**
 * The HTML a front-end developer pastes to use an image's renditions: a `<picture>` with one
 * `<source>` per modern format (AVIF, then WebP) and an `<img srcset>` of the widely supported one,
 * each a `srcset` of the renditions' public URLs by width, so the browser picks the size and format.
 */
import type { Rendition } from './rendition.js';

/** Formats a browser may lack, best first: offered as `<source>`s before the fallback `<img>`. */
const MODERN = ['avif', 'webp'];
/** What every browser shows, in order of preference, for the `<img>` itself. */
const FALLBACK = ['jpeg', 'jpg', 'png', 'gif'];

/** `/r/…` made absolute against `origin` (the snippet leaves the console); absolute URLs stay. */
export function absoluteUrl(url: string, origin: string): string {
  return /^https?:\/\//i.test(url) ? url : `${origin}${url}`;
}

const attribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/** `url 320w, url 800w`, narrowest first, one candidate per width. */
function srcset(renditions: Rendition[], origin: string): string {
  const byWidth = new Map<number, Rendition>();
  for (const rendition of renditions) if (rendition.url && !byWidth.has(rendition.width)) byWidth.set(rendition.width, rendition);
  return [...byWidth.values()]
    .sort((a, b) => a.width - b.width)
    .map((rendition) => `${absoluteUrl(rendition.url!, origin)} ${rendition.width}w`)
    .join(', ');
}

/**
 * The snippet, or undefined when no rendition has a URL (manifests written before URLs existed).
 *
 * @example pictureSnippet(manifest.renditions, { origin: location.origin, alt: 'A cat' })
 */
export function pictureSnippet(renditions: readonly Rendition[], { origin, alt }: { origin: string; alt: string }): string | undefined {
  const withUrl = renditions.filter((rendition) => rendition.url);
  if (!withUrl.length) return undefined;
  const formats = new Map<string, Rendition[]>();
  for (const rendition of withUrl) formats.set(rendition.format, [...(formats.get(rendition.format) ?? []), rendition]);
  const fallbackFormat = FALLBACK.find((format) => formats.has(format)) ?? [...formats.keys()].filter((format) => !MODERN.includes(format)).at(0) ?? [...formats.keys()].at(-1)!;
  const fallback = [...formats.get(fallbackFormat)!].sort((a, b) => a.width - b.width);
  const largest = fallback.at(-1)!;
  // The widest rendition of any format bounds the layout: beyond it no candidate is sharper.
  const widest = Math.max(...withUrl.map((rendition) => rendition.width));
  const sizes = `(max-width: ${widest}px) 100vw, ${widest}px`;
  const img = `<img src="${attribute(absoluteUrl(largest.url!, origin))}" srcset="${attribute(srcset(fallback, origin))}" sizes="${sizes}" width="${largest.width}" height="${largest.height}" alt="${attribute(alt)}" loading="lazy" decoding="async">`;
  const sources = MODERN.filter((format) => format !== fallbackFormat && formats.has(format)).map(
    (format) => `  <source type="${attribute(formats.get(format)![0]!.contentType)}" srcset="${attribute(srcset(formats.get(format)!, origin))}" sizes="${sizes}">`,
  );
  return sources.length ? ['<picture>', ...sources, `  ${img}`, '</picture>'].join('\n') : img;
}

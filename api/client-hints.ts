/**
 * Client hints (`CLIENT_HINTS=Yes`): where a URL leaves the size open, the browser's own hints
 * choose it, as DIT v8's automatic optimisation does. Nothing the URL says is overridden.
 * - DPR (`Sec-CH-DPR`, legacy `DPR`) multiplies the URL's width and height when it sets no `dpr`.
 * - Width (`Sec-CH-Width`, legacy `Width`: the image's layout width in physical pixels) is the
 *   width when the URL gives neither width nor height.
 * - Viewport width (`Sec-CH-Viewport-Width`, legacy `Viewport-Width`, CSS pixels) × DPR caps that
 *   width, or sizes an image the URL gives no size at all.
 * Hints are bucketed (DPR to halves from 1 to `maxDpr`, widths up to the next 100 px, at most
 * `maxOutputDimension`) so that caches hold few variants; a source is never enlarged; a malformed
 * hint is ignored, never an error. `Vary` names the hints this URL's answer depended on, present
 * or not: exactly those a cache must key on. CloudFront keys on the same buckets, computed by its
 * viewer-request function.
 */
import type { ImageRequest } from '../core/image-request.js';
import { LIMITS } from '../core/limits.js';

/** Sent with every image answer when hints are on, so browsers start sending them. */
export const ACCEPT_CH = 'Sec-CH-DPR, Sec-CH-Width, Sec-CH-Viewport-Width';

/** Each hint by its standard name and its legacy one; the standard one wins when both are sent. */
export const HINTS = {
  dpr: ['Sec-CH-DPR', 'DPR'],
  width: ['Sec-CH-Width', 'Width'],
  viewportWidth: ['Sec-CH-Viewport-Width', 'Viewport-Width'],
} as const;
export type Hint = keyof typeof HINTS;

/** A hint's value: the standard header, else the legacy one; undefined when absent or malformed. */
export function readHint(hint: Hint, header: (name: string) => string | undefined): number | undefined {
  for (const name of HINTS[hint]) {
    const text = header(name.toLowerCase())?.trim();
    const value = Number(text);
    if (text && Number.isFinite(value) && value > 0) return value;
  }
  return undefined;
}

/** A DPR hint as a cache bucket: halves from 1 up to `maxDpr`. */
export function bucketDpr(value: number): number {
  return Math.min(LIMITS.maxDpr, Math.max(1, Math.ceil(value * 2) / 2));
}

/** A width hint as a cache bucket: the next multiple of 100 px, at most `maxOutputDimension`. */
export function bucketWidth(value: number): number {
  return Math.min(LIMITS.maxOutputDimension, Math.max(100, Math.ceil(value / 100) * 100));
}

export interface HintedRequest {
  request: ImageRequest;
  /** The hint headers the answer depended on, for `Vary`. */
  vary: string[];
}

export function applyClientHints(request: ImageRequest, header: (name: string) => string | undefined): HintedRequest {
  const vary = new Set<string>();
  const read = (hint: Hint): number | undefined => {
    for (const name of HINTS[hint]) vary.add(name);
    return readHint(hint, header);
  };

  const resize = request.edits.resize;
  const sized = resize?.width != null || resize?.height != null;
  const urlDpr = request.output.dpr;
  let output = request.output;
  let edits = request.edits;

  if (sized) {
    // The URL chose the size; the device chooses the density unless the URL did that too.
    const dpr = urlDpr === undefined ? read('dpr') : undefined;
    if (dpr !== undefined) output = { ...output, dpr: bucketDpr(dpr) };
  } else {
    const dpr = bucketDpr(urlDpr ?? read('dpr') ?? 1);
    const width = read('width');
    const viewport = read('viewportWidth');
    const cap = viewport !== undefined ? bucketWidth(viewport * dpr) : undefined;
    const chosen = width !== undefined ? Math.min(bucketWidth(width), cap ?? Number.POSITIVE_INFINITY) : cap;
    if (chosen !== undefined) {
      edits = { ...edits, resize: { ...resize, width: chosen, withoutEnlargement: true } };
      // The chosen width is in physical pixels already: a URL's dpr must not multiply it again.
      const { dpr: _applied, ...rest } = output;
      output = rest;
    }
  }
  return { request: output === request.output && edits === request.edits ? request : { ...request, edits, output }, vary: [...vary] };
}

/**
 * Output format negotiation. An explicit format wins; otherwise, when AUTO_WEBP / AUTO_AVIF or
 * `format=auto` let the server choose, the best format the client's Accept names. Never a
 * format that would drop an animation's frames (AVIF here), and `Vary: Accept` whenever the
 * answer depended on Accept.
 */
import type { OutputFormat } from '../core/edits.js';
import type { ImageRequest } from '../core/image-request.js';

export interface Negotiation {
  /** What the client accepts among the formats the server may choose. */
  preference: Array<'avif' | 'webp'>;
  /** True when Accept decides the format, so caches must key on it. */
  varies: boolean;
}

export function negotiation(
  request: ImageRequest,
  accept: string | undefined,
  settings: { autoWebp: boolean; autoAvif: boolean },
): Negotiation {
  const explicit = request.output.format && !request.output.auto;
  const auto = request.output.auto === true;
  const mayAvif = auto || settings.autoAvif;
  const mayWebp = auto || settings.autoWebp;
  if (explicit || (!mayAvif && !mayWebp)) return { preference: [], varies: false };
  const accepts = (type: string) => !!accept && accept.toLowerCase().includes(type);
  const preference: Array<'avif' | 'webp'> = [];
  if (mayAvif && accepts('image/avif')) preference.push('avif');
  if (mayWebp && accepts('image/webp')) preference.push('webp');
  return { preference, varies: true };
}

/** The format to produce, given what negotiation allows and whether the source is animated. */
export function chooseFormat(negotiated: Negotiation, request: ImageRequest, animated: boolean): OutputFormat | undefined {
  for (const format of negotiated.preference) {
    if (animated && format === 'avif') continue;
    return format;
  }
  return request.output.auto ? undefined : request.output.format;
}

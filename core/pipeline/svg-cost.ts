/**
 * What rasterising an SVG will cost, estimated from its markup before librsvg sees it, so that
 * a document built to burn CPU is refused in microseconds instead of minutes.
 *
 * librsvg renders a whole document in one call: sharp's `timeout` is not consulted until it
 * returns, and nothing can stop it from the outside. Two constructions make that call
 * arbitrarily long from a few hundred bytes:
 * - filter primitives whose cost per pixel grows with an attribute (a 187-byte `feMorphology`
 *   with radius 300 on a 2000×2000 canvas ran > 100 s; 100 `feTurbulence` octaves, 27 s);
 * - `<use>` chains that multiply: ten levels of ten `<use>` each is 10^9 instances from 1.6 KB,
 *   and librsvg gives up only after instancing 500,000 of them (2.6 to 20 s of CPU here).
 *
 * The estimate counts every element instance (following `<use>` references, as librsvg does)
 * and, for each instance that carries a filter, its primitives' cost over the whole canvas (a
 * filter region is clipped to the canvas). The weights are milliseconds of one core per
 * megapixel, measured with sharp 0.35 / librsvg 2.63 on this project's 2-core machine, rounded
 * up: the estimate errs on the side of refusing.
 */
import { ImageError } from '../errors.js';

export interface SvgBudget {
  /** Element instances after `<use>` expansion. */
  maxSvgInstances: number;
  /** Estimated milliseconds of one core that filters may cost at the declared canvas size. */
  maxSvgFilterMs: number;
}

export interface SvgCost {
  instances: number;
  filterMs: number;
}

/** Milliseconds of one core per megapixel for one primitive, from its attributes and the user-unit scale. */
const PRIMITIVE_MS_PER_MP: Record<string, (attributes: string, scale: number) => number> = {
  femorphology: (attributes, scale) => {
    const [rx = 0, ry = rx] = numbers(attribute(attributes, 'radius'));
    return 300 * (Math.abs(rx) * scale + Math.abs(ry) * scale + 2);
  },
  feconvolvematrix: (attributes) => {
    const [ox = 3, oy = ox] = numbers(attribute(attributes, 'order'));
    return 20 * Math.max(1, ox) * Math.max(1, oy);
  },
  feturbulence: (attributes) => 100 + 60 * Math.max(1, numbers(attribute(attributes, 'numOctaves'))[0] ?? 1),
  fedisplacementmap: () => 1000,
  fegaussianblur: () => 400,
  fedropshadow: () => 500,
  fediffuselighting: () => 400,
  fespecularlighting: () => 400,
};
/** Any other primitive (flood, offset, merge, blend, composite, colour matrix...): one pass over the region. */
const OTHER_PRIMITIVE_MS_PER_MP = 150;
/** Each filter application allocates and composites its surfaces, even when empty. */
const FILTER_APPLICATION_MS_PER_MP = 100;

interface Element {
  name: string;
  attributes: string;
  children: Element[];
  /** The id this `<use>` instantiates. */
  href?: string;
  filtered: boolean;
}

/**
 * Estimates the cost of rasterising `svg` at `width`×`height` pixels.
 * Throws `ImageSource::TooComplex` (422) for markup it will not estimate (entities that expand
 * to markup, reference cycles, unbalanced tags).
 */
export function estimateSvgCost(svg: string, size: { width: number; height: number }, maxElements = Number.POSITIVE_INFINITY): SvgCost {
  const text = expandEntities(withoutComments(svg));
  const root = parseElements(text, maxElements);
  const byId = new Map<string, Element>();
  const filters = new Map<string, number>();
  const styleFiltersAll = stylesheetsApplyFilters(text);
  walk(root, (element) => {
    const id = attribute(element.attributes, 'id');
    if (id !== undefined && !byId.has(id)) byId.set(id, element);
  });
  const scale = userUnitScale(root, size);
  walk(root, (element) => {
    if (element.name !== 'filter') return;
    const id = attribute(element.attributes, 'id');
    if (id === undefined) return;
    // Primitives sized relative to the bounding box can span the canvas: count them at full size.
    const primitiveScale = /primitiveUnits\s*=\s*["']objectBoundingBox/i.test(element.attributes) ? Math.max(size.width, size.height) : scale;
    let ms = FILTER_APPLICATION_MS_PER_MP;
    walk(element, (primitive) => {
      // Light sources, transfer functions and merge inputs configure their parent primitive; they cost nothing of their own.
      if (!primitive.name.startsWith('fe') || /^fe(func|distantlight|pointlight|spotlight|mergenode)/.test(primitive.name)) return;
      const weigh = PRIMITIVE_MS_PER_MP[primitive.name];
      ms += weigh ? weigh(primitive.attributes, primitiveScale) : OTHER_PRIMITIVE_MS_PER_MP;
    });
    filters.set(id, ms);
  });
  let mostCostlyFilter = 0;
  for (const ms of filters.values()) mostCostlyFilter = Math.max(mostCostlyFilter, ms);
  const megapixels = (size.width * size.height) / 1e6;

  // Instances and filter cost per element, following <use> (memoized; a cycle is refused).
  const memo = new Map<Element, SvgCost>();
  const visiting = new Set<Element>();
  const costOf = (element: Element): SvgCost => {
    const known = memo.get(element);
    if (known) return known;
    if (visiting.has(element)) throw tooComplex('Its <use> references form a cycle.');
    visiting.add(element);
    let instances = 1;
    let filterMs = 0;
    if (element.filtered) {
      const reference = /url\(\s*["']?#([^"')\s]+)/.exec(element.attributes)?.[1];
      filterMs += megapixels * (reference !== undefined ? (filters.get(reference) ?? 0) : mostCostlyFilter);
    } else if (styleFiltersAll && element.name !== 'svg') filterMs += megapixels * mostCostlyFilter;
    const target = element.href !== undefined ? byId.get(element.href) : undefined;
    for (const child of target ? [...element.children, target] : element.children) {
      const cost = costOf(child);
      instances += cost.instances;
      filterMs += cost.filterMs;
    }
    visiting.delete(element);
    // Saturate: a multiplying chain must not overflow into NaN or Infinity arithmetic.
    const cost = { instances: Math.min(instances, Number.MAX_SAFE_INTEGER), filterMs: Math.min(filterMs, Number.MAX_SAFE_INTEGER) };
    memo.set(element, cost);
    return cost;
  };
  // <defs>, <symbol> and the filters themselves are not drawn where they stand, only through a reference.
  let instances = 0;
  let filterMs = 0;
  const drawn = (element: Element) => {
    for (const child of element.children) {
      if (child.name === 'defs' || child.name === 'symbol' || child.name === 'filter' || child.name === 'pattern' || child.name === 'mask' || child.name === 'clippath') continue;
      const cost = costOf(child);
      instances += cost.instances;
      filterMs += cost.filterMs;
    }
  };
  try {
    drawn(root);
    // Patterns, masks and clip paths are drawn per reference; counting each once keeps the estimate simple and close.
    walk(root, (element) => {
      if (element.name === 'pattern' || element.name === 'mask' || element.name === 'clippath') {
        const cost = costOf(element);
        instances += cost.instances;
        filterMs += cost.filterMs;
      }
    });
  } catch (error) {
    // References nested deeper than the stack: no drawing needs that, and librsvg would recurse as deep.
    if (error instanceof RangeError) throw tooComplex('Its elements and references are nested too deeply.');
    throw error;
  }
  return { instances, filterMs: Math.round(filterMs) };
}

/** Refuses an SVG whose estimated cost is over the budget: `ImageSource::TooComplex` (422). */
export function checkSvgCost(svg: Buffer, size: { width: number; height: number }, budget: SvgBudget): SvgCost {
  // Elements in the markup, drawn or not, bound the estimate's own memory: twice the instances allowed.
  const cost = estimateSvgCost(svg.toString('utf8'), size, 2 * budget.maxSvgInstances);
  if (cost.instances > budget.maxSvgInstances) {
    throw tooComplex(`It draws ${cost.instances > 1e15 ? 'more than 10^15' : cost.instances} element instances (through <use>), more than the limit of ${budget.maxSvgInstances}.`);
  }
  if (cost.filterMs > budget.maxSvgFilterMs) {
    throw tooComplex(`Its filters would take about ${cost.filterMs > 1e9 ? 'more than 10^9' : cost.filterMs} ms of CPU at ${size.width}×${size.height}, more than the limit of ${budget.maxSvgFilterMs} ms.`);
  }
  return cost;
}

function tooComplex(reason: string): ImageError {
  return new ImageError('ImageSource::TooComplex', `The source SVG is too costly to render. ${reason}`, 422);
}

/**
 * Internal entities are expanded as libxml2 would. Entities that expand to markup or to other
 * entities (the billion-laughs shape), and parameter entities, are refused: no drawing needs them.
 */
function expandEntities(text: string): string {
  // One document type, at its first declaration: a scan from each of many declarations would be quadratic.
  const start = text.search(/<!DOCTYPE/i);
  if (start === -1) return text;
  const doctype = /^<!DOCTYPE[^[>]*\[([\s\S]*?)\]\s*>/i.exec(text.slice(start));
  if (!doctype) return text;
  const entities = new Map<string, string>();
  for (const match of doctype[1]!.matchAll(/<!ENTITY\s+(%\s+)?([^\s"']+)\s+(?:(SYSTEM|PUBLIC)[^>]*|(["'])([\s\S]*?)\4)\s*>/gi)) {
    const [, parameter, name, external, , value = ''] = match;
    if (parameter || /[<&%]/.test(value)) throw tooComplex('Its document type declares entities that expand to markup.');
    // External entities are never loaded (librsvg refuses them): they expand to nothing.
    entities.set(name!, external ? '' : value);
  }
  const body = text.slice(start + doctype[0].length);
  return body.replace(/&([A-Za-z_][\w.-]*);/g, (whole, name: string) => entities.get(name) ?? whole);
}

/** The text without its comments, found by position (a lazy regex rescans to the end from every unclosed `<!--`). */
function withoutComments(text: string): string {
  let result = '';
  let from = 0;
  for (let open = text.indexOf('<!--'); open !== -1; open = text.indexOf('<!--', from)) {
    result += text.slice(from, open);
    const close = text.indexOf('-->', open + 4);
    if (close === -1) return result;
    from = close + 3;
  }
  return result + text.slice(from);
}

/** True when a `<style>` sheet sets `filter:` (it may apply to any element: counted as if on every one). */
function stylesheetsApplyFilters(text: string): boolean {
  const lower = text.toLowerCase();
  for (let open = lower.indexOf('<style'); open !== -1; open = lower.indexOf('<style', open + 6)) {
    const close = lower.indexOf('</style', open);
    if (/filter\s*:/.test(lower.slice(open, close === -1 ? undefined : close))) return true;
    if (close === -1) return false;
    open = close;
  }
  return false;
}

/** A tolerant tag scanner: enough structure to follow ids, references and filters, no more. */
function parseElements(text: string, maxElements: number): Element {
  const root: Element = { name: '#document', attributes: '', children: [], filtered: false };
  const stack: Element[] = [root];
  let count = 0;
  // No `<` inside a tag or an attribute value (XML forbids it): every failed match stops at the next `<`, so the scan stays linear.
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:[^<>"']|"[^<"]*"|'[^<']*')*)>/g;
  for (const match of text.matchAll(tag)) {
    const [, closing, rawName, rawAttributes = ''] = match;
    const name = rawName!.replace(/^[\w.-]*:/, '').toLowerCase();
    if (closing) {
      // Close up to the matching element; a stray closing tag is ignored, as a parser recovering would.
      const at = stack.findLastIndex((element) => element.name === name);
      if (at > 0) stack.length = at;
      continue;
    }
    if (++count > maxElements) throw tooComplex(`It has more than ${maxElements} elements.`);
    const selfClosing = rawAttributes.trimEnd().endsWith('/');
    const attributes = selfClosing ? rawAttributes.trimEnd().slice(0, -1) : rawAttributes;
    const href = name === 'use' ? /(?:^|\s)(?:xlink:)?href\s*=\s*["']\s*#([^"'\s]+)/.exec(attributes)?.[1] : undefined;
    const element: Element = {
      name,
      attributes,
      children: [],
      ...(href !== undefined ? { href } : {}),
      filtered: /(?:^|\s)filter\s*=\s*["']\s*url|filter\s*:\s*url/i.test(attributes) && name !== 'filter',
    };
    stack.at(-1)!.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  return root.children.find((element) => element.name === 'svg') ?? root;
}

function walk(element: Element, visit: (element: Element) => void): void {
  const pending = [element];
  while (pending.length) {
    const next = pending.pop()!;
    visit(next);
    for (const child of next.children) pending.push(child);
  }
}

/** Pixels per user unit of the outer viewBox (1 without one): filter attributes are in user units. */
function userUnitScale(root: Element, size: { width: number; height: number }): number {
  const [, , width = 0, height = 0] = numbers(attribute(root.attributes, 'viewBox'));
  if (!(width > 0) || !(height > 0)) return 1;
  return Math.max(size.width / width, size.height / height, 1);
}

const attributePatterns = new Map<string, RegExp>();

function attribute(attributes: string, name: string): string | undefined {
  let pattern = attributePatterns.get(name);
  if (!pattern) attributePatterns.set(name, (pattern = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'i')));
  const match = pattern.exec(attributes);
  return match ? (match[1] ?? match[2]) : undefined;
}

function numbers(value: string | undefined): number[] {
  return (value ?? '').split(/[\s,]+/).filter(Boolean).map(Number).filter(Number.isFinite);
}

/**
 * Which mapping and policy a request gets from the delivery settings (`delivery-settings.ts`
 * defines and validates them): pure functions of the settings and the request.
 *
 * Apart from the schemas, so that the image path, which only reads settings the store already
 * validated, does not build them at every Lambda cold start (bench/README.md, "Session 6: image
 * Lambda cold start").
 */
import type { Edits } from './edits.js';
import type { PolicyCondition, PolicySetting } from './delivery-settings.js';

/** What a policy's conditions read from a request. */
export interface RequestTraits {
  accepts: ReadonlyArray<'avif' | 'webp'>;
  dpr?: number;
  viewportWidth?: number;
  query: Readonly<Record<string, string>>;
}

export function conditionHolds(when: PolicyCondition, traits: RequestTraits): boolean {
  if (when.accepts && !when.accepts.some((format) => traits.accepts.includes(format))) return false;
  if (when.minDpr !== undefined && (traits.dpr ?? 1) < when.minDpr) return false;
  if (when.maxViewportWidth !== undefined && (traits.viewportWidth === undefined || traits.viewportWidth > when.maxViewportWidth)) return false;
  if (when.query && Object.entries(when.query).some(([name, value]) => traits.query[name] !== value)) return false;
  return true;
}

/** A policy's edits and output for one request: the base, refined by the first rule that holds. */
export function resolvePolicy(policy: PolicySetting, traits: RequestTraits): { edits: Edits; output: NonNullable<PolicySetting['output']> } {
  const rule = policy.rules?.find((candidate) => conditionHolds(candidate.when, traits));
  return {
    edits: { ...policy.edits, ...rule?.edits },
    output: { ...policy.output, ...rule?.output },
  };
}

/**
 * The mapping for a request, the most specific first: host and prefix over host alone over prefix
 * alone; an exact host over a wildcard; a longer prefix over a shorter one. Undefined: no mapping.
 */
export function findMapping<M extends { host?: string | undefined; pathPrefix?: string | undefined }>(
  mappings: ReadonlyArray<{ name: string; value: M }>,
  host: string | undefined,
  path: string,
): { name: string; value: M } | undefined {
  const requestHost = host?.toLowerCase().replace(/:\d+$/, '');
  const hostScore = (pattern: string | undefined): number => {
    if (pattern === undefined) return 0;
    if (!requestHost) return -1;
    const wanted = pattern.toLowerCase();
    if (wanted.startsWith('*.')) return requestHost.endsWith(wanted.slice(1)) && requestHost.length > wanted.length - 1 ? 1 : -1;
    return wanted === requestHost ? 2 : -1;
  };
  const prefixScore = (prefix: string | undefined): number => {
    if (prefix === undefined) return 0;
    return path === prefix || path.startsWith(`${prefix}/`) ? prefix.length : -1;
  };
  let best: { name: string; value: M; score: [number, number] } | undefined;
  for (const mapping of mappings) {
    const byHost = hostScore(mapping.value.host);
    const byPrefix = prefixScore(mapping.value.pathPrefix);
    if (byHost < 0 || byPrefix < 0) continue;
    const score: [number, number] = [byHost, byPrefix];
    if (!best || score[0] > best.score[0] || (score[0] === best.score[0] && score[1] > best.score[1])) best = { ...mapping, score };
  }
  return best && { name: best.name, value: best.value };
}

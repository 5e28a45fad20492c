/**
 * The delivery settings as the image handler applies them (see `core/delivery-settings.ts`): a
 * snapshot of the store, read again at most every SETTINGS_CACHE_SECONDS, and for each request
 * - the mapping that routes it (its host, from MAPPING_HOST_HEADER, and its path prefix): the
 *   prefix is removed before decoding, the mapping's origin becomes the source (an `s3` origin's
 *   bucket is the default and only bucket; an `https` origin receives the key under its base URL),
 *   and its policy applies when the URL names none;
 * - the policies a URL may name (`?preset=`, `filters:preset()`, `"preset"`): the built-in presets
 *   and the stored policies, each resolved for this request (Accept, DPR, viewport, query);
 * - the stored `https` origins, added to the SOURCE_URLS allow-list.
 * When the store cannot be read, the last snapshot stays in force (an empty one at first) and
 * the read is tried again a second later: images without settings never depend on the store.
 */
import type { Config } from '../core/config.js';
import type { MappingSetting, OriginSetting, PolicySetting } from '../core/delivery-settings.js';
import { findMapping, resolvePolicy, type RequestTraits } from '../core/resolve-delivery.js';
import type { SourceRef } from '../core/image-request.js';
import { logger } from '../core/observability/logger.js';
import { isRemoteOrigin, parseOriginAllowList } from '../core/origins.js';
import type { SettingsStore } from '../core/ports/settings-store.js';
import type { PresetCatalog } from '../core/presets.js';
import { HINTS, readHint } from './client-hints.js';
import { header, type HttpRequest } from './http.js';

type DecodeConfig = Pick<Config, 'sourceBuckets' | 'rewrite' | 'presetsOnly' | 'origins' | 'signature' | 'analysis'>;

interface Snapshot {
  origins: Map<string, OriginSetting>;
  policies: Map<string, PolicySetting>;
  mappings: Array<{ name: string; value: MappingSetting }>;
  /** SOURCE_URLS plus the stored https origins. */
  config: DecodeConfig;
}

export interface Delivery {
  /** The path to decode: the request's, less its mapping's prefix. */
  path: string;
  /** What the doors decode against: the mapping's bucket as the default source, stored origins allowed. */
  config: DecodeConfig;
  /** The built-in presets and the stored policies, resolved for this request. */
  presets: Readonly<PresetCatalog>;
  /** The mapping's policy, for a URL that names none. */
  defaultPreset?: string;
  /** The decoded source, moved to the mapping's HTTPS origin when it has one. */
  source(ref: SourceRef): SourceRef;
  /** Request headers the named policy's rules read, for `Vary`. */
  vary(preset: string | undefined): string[];
  /** The mapping that routed the request, for logs. */
  mapping?: string;
}

const RETRY_AFTER_FAILURE_MS = 1_000;

export class DeliveryResolver {
  private snapshot: Snapshot;
  private freshUntil = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly store: SettingsStore,
    private readonly config: Readonly<Config>,
    private readonly presets: Readonly<PresetCatalog>,
    private readonly now: () => number = Date.now,
  ) {
    this.snapshot = { origins: new Map(), policies: new Map(), mappings: [], config };
  }

  /**
   * The delivery for a request: at once while the snapshot is fresh (nearly always: no wait on
   * every request's path), once read again when it is not.
   */
  forRequest(request: HttpRequest): Delivery | Promise<Delivery> {
    if (this.now() < this.freshUntil) return this.deliveryFor(request);
    return (this.loading ??= this.load().finally(() => (this.loading = undefined))).then(() => this.deliveryFor(request));
  }

  private deliveryFor(request: HttpRequest): Delivery {
    const { origins, policies, mappings, config } = this.snapshot;
    const read = (name: string) => header(request, name);

    let presets = this.presets;
    if (policies.size) {
      const traits = traitsOf(request);
      presets = { ...presets, ...Object.fromEntries([...policies].map(([name, policy]) => [name, resolvePolicy(policy, traits)])) };
    }
    const vary = (preset: string | undefined): string[] => {
      const rules = preset ? (policies.get(preset)?.rules ?? []) : [];
      const headers = new Set<string>();
      for (const { when } of rules) {
        if (when.accepts) headers.add('Accept');
        if (when.minDpr !== undefined) HINTS.dpr.forEach((name) => headers.add(name));
        if (when.maxViewportWidth !== undefined) HINTS.viewportWidth.forEach((name) => headers.add(name));
      }
      return [...headers];
    };

    const found = mappings.length ? findMapping(mappings, read(this.config.settings.hostHeader), request.path) : undefined;
    const origin = found && origins.get(found.value.origin);
    if (!found || !origin) return { path: request.path, config, presets, source: (ref) => ref, vary };
    const prefix = found.value.pathPrefix ?? '';
    return {
      path: request.path.slice(prefix.length) || '/',
      config: origin.type === 's3' ? { ...config, sourceBuckets: [origin.bucket] } : config,
      presets,
      ...(found.value.policy ? { defaultPreset: found.value.policy } : {}),
      source: origin.type === 's3' ? (ref) => ref : (ref) => underBaseUrl(origin.baseUrl, ref),
      vary,
      mapping: found.name,
    };
  }

  private async load(): Promise<void> {
    try {
      const [origins, policies, mappings] = await Promise.all([this.store.list('origins'), this.store.list('policies'), this.store.list('mappings')]);
      const originValues = new Map(origins.map((setting) => [setting.name, setting.value as OriginSetting]));
      const remote = [...originValues.values()].flatMap((origin) => (origin.type === 'https' ? [new URL(origin.baseUrl).origin] : []));
      this.snapshot = {
        origins: originValues,
        policies: new Map(policies.map((setting) => [setting.name, setting.value as PolicySetting])),
        mappings: mappings.map((setting) => ({ name: setting.name, value: setting.value as MappingSetting })),
        config: remote.length
          ? { ...this.config, origins: { ...this.config.origins, allow: [...this.config.origins.allow, ...parseOriginAllowList(remote.join(',')).patterns] } }
          : this.config,
      };
      this.freshUntil = this.now() + this.config.settings.cacheSeconds * 1000;
    } catch (error) {
      logger.warn({ err: error }, 'delivery settings could not be read; the last ones stay in force');
      this.freshUntil = this.now() + RETRY_AFTER_FAILURE_MS;
    }
  }
}

/** A source under an HTTPS origin's base URL: `https://cdn.example.com/images` + `cat.jpg`. */
function underBaseUrl(baseUrl: string, ref: SourceRef): SourceRef {
  if (isRemoteOrigin(ref.bucket)) return ref; // an absolute URL the allow-list admitted stays itself
  const base = new URL(baseUrl);
  const key = ref.key.startsWith('/') ? ref.key.slice(1) : ref.key;
  return { bucket: base.origin, key: `${base.pathname.replace(/\/$/, '')}/${key}` };
}

function traitsOf(request: HttpRequest): RequestTraits {
  const read = (name: string) => header(request, name);
  const accept = (read('accept') ?? '').toLowerCase();
  const dpr = readHint('dpr', read);
  const viewportWidth = readHint('viewportWidth', read);
  return {
    accepts: (['avif', 'webp'] as const).filter((format) => accept.includes(`image/${format}`)),
    ...(dpr !== undefined ? { dpr } : {}),
    ...(viewportWidth !== undefined ? { viewportWidth } : {}),
    query: request.query,
  };
}

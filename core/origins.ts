/**
 * Remote origins: images fetched over HTTP(S) instead of read from a bucket.
 *
 * A remote source is an `ImageRequest` whose `source.bucket` is an origin, `https://host[:port]`
 * (normalised: lower-case host, no default port, no path), and whose `source.key` is the path
 * on it. Every door reaches it the same way: a key that is an absolute URL
 * (`/fit-in/300x300/https://host/a.jpg`, as thumbor and imagor write it, or a Default request's
 * `"key"`) is split into origin and path in one place, {@link splitRemoteUrl}.
 *
 * Only origins on the allow-list (`SOURCE_URLS`) are fetched. What an address may be, how the
 * connection is pinned and what a fetch may cost is the adapter's
 * (`core/adapters/https/https-origin-storage.ts`).
 */

/** One `SOURCE_URLS` entry: `https://images.example.com`, `https://*.example.com:8443`. */
export interface OriginPattern {
  scheme: 'https' | 'http';
  /** Lower-case host; `*.example.com` matches any subdomain of example.com (not example.com itself). */
  host: string;
  /** Undefined for the scheme's default port. */
  port?: number;
}

const DEFAULT_PORT = { https: 443, http: 80 } as const;
/** An origin as `source.bucket` holds it: scheme, host (a name or a bracketed IPv6 literal), optional port. */
export const REMOTE_ORIGIN = /^https?:\/\/(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)(?::\d{1,5})?$/;

/** True when a source's bucket names a remote origin rather than a bucket. */
export function isRemoteOrigin(bucket: string): boolean {
  return REMOTE_ORIGIN.test(bucket);
}

/**
 * Parses `SOURCE_URLS`: comma-separated `scheme://host[:port]` entries. Returns every problem at
 * once (config reports them together), and the patterns that parsed.
 */
export function parseOriginAllowList(text: string | undefined): { patterns: OriginPattern[]; problems: string[] } {
  const patterns: OriginPattern[] = [];
  const problems: string[] = [];
  for (const entry of (text ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^(https?):\/\/(\*\.)?([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::(\d{1,5}))?\/?$/i.exec(entry);
    const port = match?.[4] ? Number(match[4]) : undefined;
    if (!match || (port !== undefined && (port < 1 || port > 65535)) || (match[2] && match[3]!.startsWith('['))) {
      problems.push(`SOURCE_URLS: "${entry}" is not an origin (scheme://host[:port], e.g. https://images.example.com or https://*.example.com)`);
      continue;
    }
    const scheme = match[1]!.toLowerCase() as OriginPattern['scheme'];
    patterns.push({
      scheme,
      host: `${match[2] ?? ''}${match[3]!.toLowerCase()}`,
      ...(port !== undefined && port !== DEFAULT_PORT[scheme] ? { port } : {}),
    });
  }
  return { patterns, problems };
}

/** Whether a normalised origin (`https://host[:port]`) is on the allow-list. */
export function isAllowedOrigin(origin: string, patterns: readonly OriginPattern[]): boolean {
  const url = parseOrigin(origin);
  if (!url) return false;
  return patterns.some(
    (pattern) =>
      pattern.scheme === url.scheme &&
      pattern.port === url.port &&
      (pattern.host.startsWith('*.') ? url.host.endsWith(pattern.host.slice(1)) && url.host.length > pattern.host.length - 1 : pattern.host === url.host),
  );
}

function parseOrigin(origin: string): OriginPattern | undefined {
  if (!isRemoteOrigin(origin)) return undefined;
  const url = new URL(origin);
  const scheme = url.protocol.slice(0, -1) as OriginPattern['scheme'];
  return { scheme, host: url.hostname, ...(url.port ? { port: Number(url.port) } : {}) };
}

/**
 * Splits an absolute `http(s)://host[:port]/path` key into its normalised origin and path, or
 * returns undefined when the key is no URL. A single slash after the scheme is accepted too
 * (`https:/host/a.jpg`), since proxies and CDNs often merge doubled slashes in a path, as thumbor
 * accepts. The path keeps the URL's query string (part of the remote object's name); its
 * fragment is dropped (never sent by HTTP). User info is refused: it would be a credential in a URL.
 */
export function splitRemoteUrl(key: string): { origin: string; path: string } | undefined {
  const match = /^(https?):\/\/?([^/?#]+)([^#]*)/i.exec(key);
  if (!match) return undefined;
  let url: URL;
  try {
    url = new URL(`${match[1]}://${match[2]}${match[3] || '/'}`);
  } catch {
    return undefined;
  }
  if (url.username || url.password) return undefined;
  const origin = `${url.protocol}//${url.host}`;
  if (!isRemoteOrigin(origin)) return undefined;
  return { origin, path: `${url.pathname}${url.search}` };
}

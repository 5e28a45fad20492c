/**
 * The dependency audit's judgement, apart from running `npm audit`: which high and critical
 * advisories in a report are not covered by the reviewed allow-list (or are covered by an entry
 * past its review date). Pure, so it is tested on recorded reports.
 */

/** One reviewed advisory: allowed until `until`, for the reason given. */
export interface AllowedAdvisory {
  /** The GitHub advisory id (`GHSA-…`), as in the advisory's URL. */
  id: string;
  package: string;
  reason: string;
  /** ISO date: after it, the advisory must be reviewed again (it fails the audit). */
  until: string;
}

export interface AllowList {
  advisories: AllowedAdvisory[];
}

export interface Finding {
  id: string;
  package: string;
  severity: string;
  title: string;
  url: string;
  /** Set when an allow-list entry exists but its review date has passed. */
  expired?: string;
}

/** The parts of `npm audit --json` (report version 2) this reads. */
export interface AuditReport {
  auditReportVersion?: number;
  vulnerabilities?: Record<string, { severity: string; via: Array<string | { source?: number; name: string; title: string; url: string; severity: string }> }>;
  metadata?: { vulnerabilities?: Record<string, number> };
}

const BLOCKING = new Set(['high', 'critical']);

/** True when the output is an audit report rather than an error (e.g. the advisory service refused). */
export function isAuditReport(output: unknown): output is AuditReport {
  return !!output && typeof output === 'object' && 'vulnerabilities' in output && 'metadata' in output;
}

/** High and critical advisories not allowed (or allowed past their review date), one per advisory and package. */
export function blockingFindings(report: AuditReport, allowList: AllowList, today: Date): Finding[] {
  const allowed = new Map(allowList.advisories.map((entry) => [`${entry.id}:${entry.package}`, entry]));
  const findings = new Map<string, Finding>();
  for (const vulnerability of Object.values(report.vulnerabilities ?? {})) {
    for (const via of vulnerability.via) {
      // A string names another vulnerable package: its own advisories are listed under it.
      if (typeof via === 'string' || !BLOCKING.has(via.severity)) continue;
      const id = /GHSA-[\w-]+/.exec(via.url)?.[0] ?? `npm-${via.source ?? via.title}`;
      const key = `${id}:${via.name}`;
      const entry = allowed.get(key);
      if (entry && new Date(`${entry.until}T23:59:59Z`) >= today) continue;
      findings.set(key, { id, package: via.name, severity: via.severity, title: via.title, url: via.url, ...(entry ? { expired: entry.until } : {}) });
    }
  }
  return [...findings.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** Allow-list entries no advisory in the report needs any more (fixed upstream): to be removed. */
export function staleEntries(report: AuditReport, allowList: AllowList): AllowedAdvisory[] {
  const present = new Set<string>();
  for (const vulnerability of Object.values(report.vulnerabilities ?? {})) {
    for (const via of vulnerability.via) if (typeof via !== 'string') present.add(`${/GHSA-[\w-]+/.exec(via.url)?.[0]}:${via.name}`);
  }
  return allowList.advisories.filter((entry) => !present.has(`${entry.id}:${entry.package}`));
}

/** What the lockfile alone can vouch for, offline: how many packages are pinned to exact bytes. */
export interface LockfileSummary {
  packages: number;
  /** Fetched from a registry and pinned by a sha512 `integrity` (npm refuses other bytes on install). */
  pinned: number;
  /** Shipped inside their parent's tarball (`inBundle`): covered by the parent's integrity. */
  bundled: number;
  /** Neither: links, git or local folders; listed by path. */
  unpinned: string[];
}

/** Reads a `package-lock.json` (lockfileVersion 2 or 3). */
export function lockfileSummary(lock: { packages?: Record<string, { name?: string; integrity?: string; inBundle?: boolean; link?: boolean }> }): LockfileSummary {
  const entries = Object.entries(lock.packages ?? {}).filter(([location]) => location !== '');
  const summary: LockfileSummary = { packages: entries.length, pinned: 0, bundled: 0, unpinned: [] };
  for (const [location, entry] of entries) {
    if (entry.integrity?.startsWith('sha512-')) summary.pinned++;
    else if (entry.inBundle) summary.bundled++;
    else summary.unpinned.push(location);
  }
  return summary;
}

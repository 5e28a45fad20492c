/**
 * Dependency audit: runs `npm audit --json` and fails on any high or critical advisory that the
 * reviewed allow-list (`scripts/audit-allowlist.json`) does not cover. Writes its verdict for
 * docs/reliability.md.
 *
 *   npm run audit:deps
 *
 * Exit codes: 0 clean (or only allowed advisories), 1 new high/critical advisories (listed),
 * 2 the advisory service could not be asked (npm audit POSTs to the registry; a proxy that
 * allows only GET, as on the build machine this was written on, refuses it).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { recordRow } from '../test/reliability/report-store.js';
import { blockingFindings, isAuditReport, staleEntries, type AllowList } from './audit-allowlist.js';

const root = path.resolve(import.meta.dirname, '..');
const allowList = JSON.parse(await readFile(path.join(root, 'scripts', 'audit-allowlist.json'), 'utf8')) as AllowList;
const source = path.join(root, 'scripts', 'audit.ts');

// npm audit exits 1 when it finds anything; its JSON is on stdout either way.
const { stdout } = await promisify(execFile)('npm', ['audit', '--json'], { cwd: root, maxBuffer: 64 * 1024 * 1024 }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
let output: unknown;
try {
  output = JSON.parse(stdout);
} catch {
  output = undefined;
}

if (!isAuditReport(output)) {
  const reason = (output as { message?: string } | undefined)?.message ?? 'no JSON from npm audit';
  console.error(`dependency audit: the advisory service could not be asked (${reason})`);
  recordRow('Security', 'Dependency audit (npm audit, high/critical)', { status: 'not run: advisory service unreachable', detail: reason, 'allow-list entries': allowList.advisories.length }, source);
  process.exit(2);
}

const findings = blockingFindings(output, allowList, new Date());
const stale = staleEntries(output, allowList);
const counts = output.metadata?.vulnerabilities ?? {};
recordRow('Security', 'Dependency audit (npm audit, high/critical)', {
  status: findings.length ? `FAILED: ${findings.length} new` : 'passed',
  'advisories by severity': Object.entries(counts).filter(([, count]) => count).map(([severity, count]) => `${severity} ${count}`).join(', ') || 'none',
  'allowed (reviewed)': allowList.advisories.length - stale.length,
  'stale allow-list entries': stale.length,
}, source);
for (const entry of stale) console.log(`allow-list entry no longer needed: ${entry.id} (${entry.package})`);
if (findings.length) {
  console.error('dependency audit: high/critical advisories not in scripts/audit-allowlist.json:');
  for (const finding of findings) console.error(`  ${finding.severity.padEnd(8)} ${finding.id} ${finding.package}: ${finding.title} ${finding.url}${finding.expired ? ` (allowed until ${finding.expired}: review again)` : ''}`);
  process.exit(1);
}
console.log(`dependency audit: passed (${JSON.stringify(counts)})`);

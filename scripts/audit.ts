/**
 * Dependency audit: runs `npm audit --json` and fails on any high or critical advisory that the
 * reviewed allow-list (`scripts/audit-allowlist.json`) does not cover. Writes its verdict for
 * docs/reliability.md.
 *
 *   npm run audit:deps
 *
 * Exit codes: 0 clean (or only allowed advisories), 1 new high/critical advisories (listed),
 * 2 the advisory service could not be asked (npm audit POSTs to the registry; a proxy that
 * allows only GET, as on the build machine this was written on, refuses it). Exit 2 is never a
 * pass: the message, the report row and test/run.sh's closing lines say the audit did not run and
 * what was verified offline instead (the lockfile's pinning, the allow-list's review dates).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { recordRow } from '../test/reliability/report-store.js';
import { blockingFindings, isAuditReport, lockfileSummary, staleEntries, type AllowList } from './audit-allowlist.js';

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

// What can be checked without the advisory service, stated in every verdict.
const lock = lockfileSummary(JSON.parse(await readFile(path.join(root, 'package-lock.json'), 'utf8')) as Parameters<typeof lockfileSummary>[0]);
const pastReview = allowList.advisories.filter((entry) => new Date(`${entry.until}T23:59:59Z`) < new Date());
const offline = `lockfile: ${lock.pinned} of ${lock.packages} packages pinned by sha512 integrity, ${lock.bundled} bundled inside a pinned parent, ${lock.unpinned.length} unpinned${lock.unpinned.length ? ` (${lock.unpinned.join(', ')})` : ''}; allow-list: ${allowList.advisories.length} entries, ${pastReview.length} past their review date`;

if (!isAuditReport(output)) {
  // Not a pass: nothing is known about advisories. Said loudly here, in the report and by test/run.sh.
  const reason = (output as { message?: string } | undefined)?.message ?? 'no JSON from npm audit';
  console.error(
    [
      '',
      'dependency audit NOT RUN: the npm advisory service could not be asked.',
      `  ${reason}`,
      `  NOT verified: known high/critical advisories in the ${lock.packages} locked packages (npm audit POSTs them to the registry, and it did not answer with a report).`,
      `  verified offline: ${offline}.`,
      '  Run `npm run audit:deps` where the registry answers; SHUTTER_AUDIT_REQUIRED=1 makes this a failure.',
      '',
    ].join('\n'),
  );
  recordRow('Security', 'Dependency audit (npm audit, high/critical)', {
    status: 'NOT RUN: advisory service unreachable, so not a pass',
    'NOT verified': `known high/critical advisories in the ${lock.packages} locked packages (${reason})`,
    'verified offline': offline,
  }, source);
  process.exit(2);
}

const findings = blockingFindings(output, allowList, new Date());
const stale = staleEntries(output, allowList);
const counts = output.metadata?.vulnerabilities ?? {};
recordRow('Security', 'Dependency audit (npm audit, high/critical)', {
  status: findings.length ? `FAILED: ${findings.length} new` : 'passed: no high/critical advisory outside the allow-list',
  'advisories by severity': Object.entries(counts).filter(([, count]) => count).map(([severity, count]) => `${severity} ${count}`).join(', ') || 'none',
  'allowed (reviewed)': allowList.advisories.length - stale.length,
  'stale allow-list entries': stale.length,
  'verified offline': offline,
}, source);
for (const entry of stale) console.log(`allow-list entry no longer needed: ${entry.id} (${entry.package})`);
if (findings.length) {
  console.error('dependency audit: high/critical advisories not in scripts/audit-allowlist.json:');
  for (const finding of findings) console.error(`  ${finding.severity.padEnd(8)} ${finding.id} ${finding.package}: ${finding.title} ${finding.url}${finding.expired ? ` (allowed until ${finding.expired}: review again)` : ''}`);
  process.exit(1);
}
console.log(`dependency audit: passed (${JSON.stringify(counts)})`);

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { blockingFindings, isAuditReport, lockfileSummary, staleEntries, type AllowList, type AuditReport } from '../../scripts/audit-allowlist.js';
import { fixture, ROOT } from '../helpers/images.js';

/** A recorded `npm audit --json` report (format version 2) with made-up advisories of each kind. */
const report = JSON.parse(fixture('audit', 'npm-audit-report.json').toString()) as AuditReport;
const today = new Date('2026-11-27T12:00:00Z');

describe('dependency audit allow-list', () => {
  test('with nothing allowed, every high and critical advisory blocks; moderate ones and dependency chains do not', () => {
    const findings = blockingFindings(report, { advisories: [] }, today);
    expect(findings.map((finding) => [finding.id, finding.package, finding.severity])).toEqual([
      ['GHSA-aaaa-bbbb-cccc', 'fast-xml-parser', 'critical'],
      ['GHSA-dddd-eeee-ffff', 'tar', 'high'],
      ['GHSA-gggg-hhhh-iiii', 'tar', 'high'],
    ]);
  });

  test('a reviewed entry allows its advisory until its date, then blocks it again', () => {
    const allowList: AllowList = {
      advisories: [
        { id: 'GHSA-dddd-eeee-ffff', package: 'tar', reason: 'dev-only: used by the CDK CLI on our own archives', until: '2027-01-31' },
        { id: 'GHSA-gggg-hhhh-iiii', package: 'tar', reason: 'dev-only', until: '2026-11-01' },
      ],
    };
    const findings = blockingFindings(report, allowList, today);
    expect(findings.map((finding) => finding.id)).toEqual(['GHSA-aaaa-bbbb-cccc', 'GHSA-gggg-hhhh-iiii']);
    expect(findings[1]).toMatchObject({ expired: '2026-11-01' });
  });

  test('an entry for another package with the same advisory id does not allow it', () => {
    const findings = blockingFindings(report, { advisories: [{ id: 'GHSA-aaaa-bbbb-cccc', package: 'other', reason: 'x', until: '2099-01-01' }] }, today);
    expect(findings.map((finding) => finding.id)).toContain('GHSA-aaaa-bbbb-cccc');
  });

  test('entries no advisory needs any more are reported as stale', () => {
    const allowList: AllowList = { advisories: [{ id: 'GHSA-dddd-eeee-ffff', package: 'tar', reason: 'x', until: '2099-01-01' }, { id: 'GHSA-zzzz-zzzz-zzzz', package: 'gone', reason: 'x', until: '2099-01-01' }] };
    expect(staleEntries(report, allowList).map((entry) => entry.id)).toEqual(['GHSA-zzzz-zzzz-zzzz']);
  });

  test('an error from the advisory service is not mistaken for a clean report', () => {
    expect(isAuditReport(report)).toBe(true);
    expect(isAuditReport({ message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405 })).toBe(false);
    expect(isAuditReport(undefined)).toBe(false);
  });

  test('the committed allow-list is well formed: every entry has a reason and a review date', () => {
    const allowList = JSON.parse(readFileSync(path.join(ROOT, 'scripts', 'audit-allowlist.json'), 'utf8')) as AllowList;
    for (const entry of allowList.advisories) {
      expect(entry).toEqual({ id: expect.stringMatching(/^GHSA-/), package: expect.any(String), reason: expect.stringMatching(/\w{10,}/), until: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    }
  });

  test('offline, the lockfile says how many packages are pinned to exact bytes (what an unreachable audit can still vouch for)', () => {
    const lock = {
      packages: {
        '': { name: 'shutter' },
        'node_modules/sharp': { integrity: 'sha512-abc' },
        'node_modules/aws-cdk-lib/node_modules/semver': { inBundle: true },
        'node_modules/local-thing': { link: true },
        'node_modules/old': { integrity: 'sha1-abc' },
      },
    };
    expect(lockfileSummary(lock)).toEqual({ packages: 4, pinned: 1, bundled: 1, unpinned: ['node_modules/local-thing', 'node_modules/old'] });
    const committed = lockfileSummary(JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as Parameters<typeof lockfileSummary>[0]);
    expect(committed.unpinned).toEqual([]);
  });
});

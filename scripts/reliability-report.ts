/**
 * Regenerates docs/reliability.md: runs the reliability suites (hostile input, faults, load,
 * security) and the dependency audit, then renders every row they recorded under
 * test-artifacts/reliability/ as one table per section.
 *
 *   npm run reliability:report              run everything, then write the document
 *   npm run reliability:report -- --no-run  only re-render from the rows already recorded
 *
 * Rows come from `recordRow(section, category, values)` (test/reliability/report-store.ts);
 * any suite may add rows, to a known section or a new one (new sections are appended). To add
 * a category: record rows from a suite under test/reliability/ (or one listed in REPORT_SUITES);
 * the bulk workflow and event faults go to EVENT_FAULTS with 'cases', 'faults injected', 'lost'
 * and 'duplicated' numbers, which the summary adds up. Soak rows
 * (`npm run reliability:soak`, minutes long, not in CI) are kept between runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ReportRow } from '../test/reliability/report-store.js';
import { EVENT_FAULTS, REPORT_DIR } from '../test/reliability/report-store.js';

/** The suites whose rows make the report; a suite elsewhere joins by recording rows and being listed here. */
export const REPORT_SUITES = [
  'test/reliability',
  'test/api/local-server.test.ts',
  'test/bin/shutter-serve-drain.test.ts',
  // Broker killed mid-stream (its own real broker), and the bulk CLI killed mid-batch.
  'test/core/adapters/kafka-event-sink.test.ts',
  'test/workflows/crash-recovery.test.ts',
];

/** Known sections, in order, each with what it shows. Sections not listed follow, alphabetically. */
const SECTIONS: Array<{ name: string; intro: string }> = [
  {
    name: 'Hostile input',
    intro:
      'Fuzzed and hand-written hostile requests and files (fast-check, in process and over real HTTP). Every answer must be a 2xx/3xx or a 4xx with a JSON body and a code from the known list (`test/reliability/known-codes.ts`); a 5xx for client input, an exception escaping the handler or an answer later than the request timeout fails the run. The only 5xx client input may get is 501 for a feature configured off.',
  },
  {
    name: 'Hostile input: on-demand attacks of issue #13',
    intro:
      'Attacks that once got through, replayed after their fixes (issue #13). A flood of `/meta` on a 99.99 MP PNG (before: small renders at multi-second latencies and 503s, RSS past 2 GB): `/meta` now decodes in a pool of its own, once, to a 100 px preview. SVGs built to burn librsvg\'s CPU, which no timeout stops (before: a 503 after 25 s, both cores busy for minutes, SIGTERM ignored): refused from their markup. A flood of 400s with 8 KB paths (before: 209 MB of access records in 15 s): records capped and errors sampled. Latency and CPU are recorded, not asserted; RSS and CPU are the test process\'s, which serves over real HTTP on loopback.',
  },
  {
    name: 'Faults',
    intro:
      'Dependencies failing under the on-demand path (the bulk workflow and events follow in the next section): the S3-compatible server (moto_server) behind a fault-injecting proxy, and analyzer failures. Every answer is the right image or a 503 with Retry-After; after the fault heals every image is served again (nothing lost). The read path writes nothing, so nothing can be duplicated.',
  },
  {
    name: EVENT_FAULTS,
    intro:
      'Faults under the bulk workflow and the event path: a real Kafka broker killed and restarted while events are published, the disk under the local event log and the Kafka outbox filling up, the bulk CLI killed mid-batch, the analyzer failing under the workflow. Each row counts what could go missing or happen twice, by id: **lost** is an event or upload that never arrived (or a manifest never written), **duplicated** an image processed twice or an event handled twice by a consumer. Delivery is at least once, so a re-sent event keeps its id: such copies are counted apart (same-id copies, dropped by consumers). Every row is measured on a passing run: its test asserts lost = duplicated = 0.',
  },
  {
    name: 'Load',
    intro:
      '`shutter serve` as its own process on loopback, driven by autocannon: capacity measured, then held in 5-s windows (p99 per window is recorded, not asserted); overload far beyond capacity must be shed with 503 + Retry-After rather than queued. RSS is the server process\'s own (from /proc).',
  },
  { name: 'Security', intro: 'Security headers on every kind of answer, secrets kept out of logs, and the dependency audit against its reviewed allow-list (`scripts/audit-allowlist.json`). The threat model is in SECURITY.md.' },
];

const root = path.resolve(import.meta.dirname, '..');
const { values: options } = parseArgs({ options: { 'no-run': { type: 'boolean', default: false } } });

if (!options['no-run']) {
  // Fresh rows for this run; soak rows are minutes of work and stay until the soak runs again.
  mkdirSync(REPORT_DIR, { recursive: true });
  for (const file of readdirSync(REPORT_DIR)) if (!file.startsWith('load--soak')) rmSync(path.join(REPORT_DIR, file));
  const jest = spawnSync(process.execPath, ['--experimental-vm-modules', '--no-warnings', 'node_modules/jest/bin/jest.js', ...REPORT_SUITES], { cwd: root, stdio: 'inherit' });
  if (jest.status !== 0) console.error('reliability suites failed: the report shows what they recorded; fix the failures first.');
  spawnSync('npm', ['run', '--silent', 'audit:deps'], { cwd: root, stdio: 'inherit' });
}

const rows: ReportRow[] = readdirSync(REPORT_DIR)
  .filter((file) => file.endsWith('.json'))
  .map((file) => JSON.parse(readFileSync(path.join(REPORT_DIR, file), 'utf8')) as ReportRow);

const known = SECTIONS.map((section) => section.name);
const sectionNames = [...known.filter((name) => rows.some((row) => row.section === name)), ...[...new Set(rows.map((row) => row.section))].filter((name) => !known.includes(name)).sort()];

const escape = (value: string | number) => String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** One table per section: columns most rows share, the rest folded into a last "details" column. */
function renderSection(name: string): string {
  const sectionRows = rows
    .filter((row) => row.section === name)
    .sort((a, b) => Number(a.category.includes('(total)')) - Number(b.category.includes('(total)')) || a.source.localeCompare(b.source) || a.recordedAt.localeCompare(b.recordedAt));
  const counts = new Map<string, number>();
  for (const row of sectionRows) for (const key of Object.keys(row.values)) counts.set(key, (counts.get(key) ?? 0) + 1);
  const columns = [...counts.keys()].filter((key) => counts.get(key)! * 2 >= sectionRows.length);
  const hasDetails = sectionRows.some((row) => Object.keys(row.values).some((key) => !columns.includes(key)));
  const header = ['category', ...columns, ...(hasDetails ? ['details'] : [])];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of sectionRows) {
    const details = Object.entries(row.values)
      .filter(([key]) => !columns.includes(key))
      .map(([key, value]) => `${key}: ${value}`)
      .join('; ');
    const cells = [row.category, ...columns.map((column) => row.values[column] ?? '—'), ...(hasDetails ? [details || '—'] : [])];
    lines.push(`| ${cells.map(escape).join(' | ')} |`);
  }
  const intro = SECTIONS.find((section) => section.name === name)?.intro;
  const sources = [...new Set(sectionRows.map((row) => `\`${row.source}\``))].join(', ');
  return [`## ${name}`, '', ...(intro ? [intro, ''] : []), ...lines, '', `Measured by ${sources}.`, ''].join('\n');
}

/** Sums, over every row (of one section, if given), the numeric values of the columns whose name matches. */
const total = (column: string | RegExp, section?: string) =>
  rows.filter((row) => !section || row.section === section).reduce(
    (sum, row) =>
      sum +
      Object.entries(row.values)
        .filter(([name, value]) => typeof value === 'number' && (typeof column === 'string' ? name === column : column.test(name)))
        .reduce((subtotal, [, value]) => subtotal + (value as number), 0),
    0,
  );

const hostile = rows.filter((row) => row.section === 'Hostile input' && !row.category.includes('(total)'));
const hostileTotal = (column: string) => hostile.reduce((sum, row) => sum + (Number(row.values[column]) || 0), 0);
const summary = [
  `- Hostile input: **${hostileTotal('cases')}** cases tried; **${hostileTotal('5xx')}** server errors for client input, **${hostileTotal('crashes')}** crashes, **${hostileTotal('hangs')}** hangs.`,
  // Any "… lost …" or "duplicated" column counts: images on the on-demand path, events and uploads under the workflow.
  `- Faults, on-demand path: **${total('faults injected', 'Faults')}** faults injected; **${total(/\blost\b/i, 'Faults')}** images lost; **${total('wrong or partial images', 'Faults')}** wrong or partial images served.`,
  `- Faults, bulk workflow and events: **${total('faults injected', EVENT_FAULTS)}** faults injected over **${total('cases', EVENT_FAULTS)}** events and uploads; **${total(/\blost\b/i, EVENT_FAULTS)}** lost, **${total(/duplicated/i, EVENT_FAULTS)}** duplicated.`,
  ...rows.filter((row) => row.section === 'Load' && row.values['held for s']).map((row) => `- Load: ${row.category}: **${row.values['held req/s']} req/s for ${row.values['held for s']} s**, ${row.values.errors ?? row.values['errors + non-2xx'] ?? 0} errors, RSS ${row.values['RSS MB before → after']} MB.`),
];

const cpus = os.cpus();
const document = [
  '# Reliability',
  '',
  '<!-- Generated by `npm run reliability:report` (scripts/reliability-report.ts). Do not edit by hand. -->',
  '',
  `How shutter holds up against hostile input, failing dependencies and load, as measured on ${new Date().toISOString().slice(0, 10)} on ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}. Regenerate with \`npm run reliability:report\` (runs the suites, a few minutes); the soak row comes from \`npm run reliability:soak\`.`,
  '',
  ...summary,
  '',
  ...sectionNames.map(renderSection),
].join('\n');

writeFileSync(path.join(root, 'docs', 'reliability.md'), document);
console.log(`docs/reliability.md: ${rows.length} rows in ${sectionNames.length} sections`);

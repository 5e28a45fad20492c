/**
 * Where reliability tests leave their numbers for `docs/reliability.md`: one JSON file per
 * (section, category) under `test-artifacts/reliability/`, read back by
 * `scripts/reliability-report.mjs`. Any test may add rows to any section (the bulk workflow and
 * Kafka suites add theirs the same way); columns are whatever keys the rows carry.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Under the working directory, which is the repository root for jest and npm scripts alike
 * (not import.meta.dirname: bundled scripts see the entry's folder there). */
export const REPORT_DIR = path.resolve('test-artifacts', 'reliability');

/** The report's sections; the generator orders these first and appends any others after them. */
export type ReportSection = 'Hostile input' | 'Faults' | typeof EVENT_FAULTS | 'Load' | 'Security' | (string & {});

/**
 * Faults under the bulk workflow and the event path (broker killed, disk full, process killed,
 * analyzer failing). Rows count what could be lost or done twice: `cases`, `faults injected`,
 * `lost`, `duplicated` (numbers: the report's summary adds them up), then any details.
 */
export const EVENT_FAULTS = 'Faults: bulk workflow and events';

export interface ReportRow {
  section: ReportSection;
  category: string;
  /** Column → value, in display order. */
  values: Record<string, string | number>;
  /** The test file that measured it. */
  source: string;
  recordedAt: string;
}

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export function recordRow(section: ReportSection, category: string, values: Record<string, string | number>, source: string): void {
  mkdirSync(REPORT_DIR, { recursive: true });
  const row: ReportRow = { section, category, values, source: path.relative(process.cwd(), source), recordedAt: new Date().toISOString() };
  writeFileSync(path.join(REPORT_DIR, `${slug(section)}--${slug(category)}.json`), `${JSON.stringify(row, null, 2)}\n`);
}

/** Resident memory in MB, for loose before/after comparisons. */
export const rssMb = () => Math.round(process.memoryUsage().rss / (1024 * 1024));

/**
 * How a named query's rows become a chart, whatever columns it returns (the SQL files in
 * analytics/queries/ are the source of truth; the console only reads their shape). Pure:
 * tested without a browser.
 *
 * - Text columns label the x axis; a day followed by another text column (`day, stage`) makes
 *   one series per value of the second (a series per stage over days).
 * - Numeric columns are grouped by unit, read from their names (`hit_ratio`, `p95_ms`,
 *   `total_usd`, `bytes`, counts); the chart shows one unit, the headline one: ratios, then
 *   durations, money, counts, bytes. Every column stays in the rows table.
 */

/** A query as GET /api/analytics lists it. */
export interface NamedQuery {
  name: string;
  title: string;
  description: string;
  url: string;
}

export type Unit = 'ratio' | 'ms' | 'usd' | 'count' | 'bytes';
const UNIT_PRIORITY: readonly Unit[] = ['ratio', 'ms', 'usd', 'count', 'bytes'];

export interface ChartData {
  kind: 'bar' | 'line';
  unit: Unit;
  /**
   * `log` when the charted values span more than two orders of magnitude (a workflow that waited
   * 108 s for a review beside 40 ms renditions): on a linear axis the small ones would vanish.
   */
  scale: 'linear' | 'log';
  labels: string[];
  series: { name: string; values: (number | null)[] }[];
}

export type Row = Record<string, unknown>;

const asNumber = (value: unknown): number | null => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
};
const isDay = (value: unknown) => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value);

/** The unit a column's name says, as whole words (`moderation_usd` is money, not a ratio). */
function unitOf(column: string, values: (number | null)[]): Unit {
  const words = column.toLowerCase().split(/[^a-z0-9]+/);
  const has = (...names: string[]) => names.some((name) => words.includes(name));
  if (has('usd', 'cost', 'dollars')) return 'usd';
  if (has('ms', 'millis', 'latency', 'duration')) return 'ms';
  if (has('bytes')) return 'bytes';
  if (has('ratio', 'rate', 'share', 'percent', 'pct') && values.every((v) => v === null || (v >= 0 && v <= 1))) return 'ratio';
  return 'count';
}

export function toChartData(rows: readonly Row[]): ChartData {
  if (rows.length === 0) return { kind: 'bar', unit: 'count', scale: 'linear', labels: [], series: [] };
  const columns = Object.keys(rows[0]!);
  const numeric = (column: string) => rows.every((row) => row[column] === null || row[column] === undefined || asNumber(row[column]) !== null);
  const labelColumns = columns.filter((column) => !numeric(column));
  const valueColumns = columns.filter((column) => numeric(column) && !labelColumns.includes(column));
  const byUnit = new Map<Unit, string[]>();
  for (const column of valueColumns) {
    const unit = unitOf(column, rows.map((row) => asNumber(row[column])));
    byUnit.set(unit, [...(byUnit.get(unit) ?? []), column]);
  }
  const unit = UNIT_PRIORITY.find((candidate) => byUnit.has(candidate)) ?? 'count';
  const charted = byUnit.get(unit) ?? [];

  const [first, second] = labelColumns;
  // `day, stage, p50_ms, p95_ms`: days along x, a series per stage and measure.
  if (first && second && labelColumns.length === 2 && rows.every((row) => isDay(row[first]))) {
    const labels = [...new Set(rows.map((row) => dayOf(row[first])))];
    const groups = [...new Set(rows.map((row) => String(row[second] ?? '')))];
    const series = groups.flatMap((group) =>
      charted.map((column) => ({
        name: charted.length > 1 ? `${group} ${column}` : group,
        values: labels.map((label) => {
          const row = rows.find((candidate) => dayOf(candidate[first]) === label && String(candidate[second] ?? '') === group);
          return row ? asNumber(row[column]) : null;
        }),
      })),
    );
    return { kind: labels.length > 1 ? 'line' : 'bar', unit, scale: scaleFor(unit, series), labels, series };
  }
  const labels = rows.map((row) => (labelColumns.length ? labelColumns.map((column) => labelOf(row[column])).join(' · ') : ''));
  const days = first !== undefined && rows.every((row) => isDay(row[first]));
  const series = charted.map((column) => ({ name: column, values: rows.map((row) => asNumber(row[column])) }));
  return { kind: days && rows.length > 1 ? 'line' : 'bar', unit, scale: scaleFor(unit, series), labels, series };
}

/** Orders of magnitude past which a linear axis hides the small values. */
const LOG_SCALE_SPAN = 100;

function scaleFor(unit: Unit, series: ChartData['series']): ChartData['scale'] {
  if (unit === 'ratio') return 'linear';
  const positive = series.flatMap((entry) => entry.values).filter((value): value is number => value !== null && value > 0);
  if (positive.length < 2) return 'linear';
  return Math.max(...positive) / Math.min(...positive) > LOG_SCALE_SPAN ? 'log' : 'linear';
}

function dayOf(value: unknown): string {
  return String(value).slice(0, 10);
}

function labelOf(value: unknown): string {
  return isDay(value) ? dayOf(value) : String(value ?? '');
}

/** A value as the chart's axis and tooltips write it. */
export function formatValue(value: number | null, unit: Unit): string {
  if (value === null) return '–';
  switch (unit) {
    case 'ratio':
      return `${(value * 100).toFixed(value < 0.1 && value > 0 ? 1 : 0)}%`;
    case 'ms':
      return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
    case 'usd':
      return `$${value < 1 ? value.toFixed(4) : value.toFixed(2)}`;
    case 'bytes':
      return value >= 1024 * 1024 ? `${(value / 1024 / 1024).toFixed(1)} MB` : value >= 1024 ? `${(value / 1024).toFixed(1)} KB` : `${value} B`;
    default:
      return value.toLocaleString(undefined, { maximumFractionDigits: 2 });
  }
}

/** The dashboard's named queries, and how rows become chart series. Pure: tested without a browser. */

export interface NamedQuery {
  name: string;
  title: string;
  /** Bars for categories and days, lines for series over time. */
  kind: 'bar' | 'line';
  description: string;
}

export const DASHBOARD: readonly NamedQuery[] = [
  { name: 'uploads-per-day', title: 'Uploads per day', kind: 'bar', description: 'Images uploaded, by day.' },
  { name: 'renditions-by-format', title: 'Renditions by format', kind: 'bar', description: 'Renditions written, by output format.' },
  { name: 'moderation-rate', title: 'Moderation rate', kind: 'line', description: 'Share of processed images flagged by moderation.' },
  { name: 'latency-percentiles', title: 'Latency percentiles', kind: 'line', description: 'On-demand response time percentiles.' },
  { name: 'cache-hit-ratio', title: 'Cache hit ratio', kind: 'line', description: 'Answers served without rendering.' },
  { name: 'errors-by-code', title: 'Errors by code', kind: 'bar', description: 'Error answers, by stable error code.' },
];

export interface ChartData {
  labels: string[];
  series: { name: string; values: (number | null)[] }[];
  /** Every value is a share between 0 and 1: shown as percentages. */
  ratio: boolean;
}

const asNumber = (value: unknown): number | null => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
};

/**
 * The first column that is not numeric labels the x axis (a day, a format, a code); every
 * numeric column is a series. Works for whatever columns a query returns.
 */
export function toChartData(rows: readonly Record<string, unknown>[]): ChartData {
  if (rows.length === 0) return { labels: [], series: [], ratio: false };
  const columns = Object.keys(rows[0]!);
  const numeric = (column: string) => rows.every((row) => row[column] === null || row[column] === undefined || asNumber(row[column]) !== null);
  const labelColumn = columns.find((column) => !numeric(column)) ?? columns[0]!;
  const valueColumns = columns.filter((column) => column !== labelColumn && numeric(column));
  const series = valueColumns.map((column) => ({ name: column, values: rows.map((row) => asNumber(row[column])) }));
  const values = series.flatMap((s) => s.values).filter((v): v is number => v !== null);
  const ratio = values.length > 0 && valueColumns.every((column) => /ratio|rate|share|percent/i.test(column)) && values.every((v) => v >= 0 && v <= 1);
  return { labels: rows.map((row) => labelOf(row[labelColumn])), series, ratio };
}

function labelOf(value: unknown): string {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T00:00:00(\.000)?Z?$/.test(value)) return value.slice(0, 10);
  return String(value ?? '');
}

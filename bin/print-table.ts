/**
 * Tables on the terminal (cli-table3): columns sized by display width, so wide characters and
 * colour codes stay aligned; borderless, so the output also reads well piped into other tools.
 * Every command that prints one also takes `--json`.
 */
import Table from 'cli-table3';

type Cell = string | number | bigint | boolean | null | undefined | Date;

export function formatTable(columns: string[], rows: Array<Record<string, unknown>>): string {
  const table = new Table({
    head: columns,
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) table.push(columns.map((column) => text(row[column] as Cell)));
  return `${table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')}\n(${rows.length} row${rows.length === 1 ? '' : 's'})`;
}

export function printTable(columns: string[], rows: Array<Record<string, unknown>>): void {
  console.log(formatTable(columns, rows));
}

function text(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

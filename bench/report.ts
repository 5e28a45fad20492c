/**
 * The bench's report: rows of "subject vs baseline, ratio min/median/max over rounds, target",
 * printed as a Markdown table and written as JSON and as a self-contained chart (SVG, and an HTML
 * page holding the chart and the table). No CDN, no chart library: plain SVG bars.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Stats } from './harness.js';

export interface Row {
  group: string;
  scenario: string;
  subject: string;
  subjectValue: Stats;
  baseline?: string;
  baselineValue?: Stats;
  unit: string;
  /** subject / baseline, round by round. */
  ratio?: Stats;
  /** Human-readable target, e.g. "≥ 0.9×" or "p99 < 2 ms". */
  target?: string;
  met?: boolean;
  note?: string;
}

export interface Report {
  started: string;
  finished?: string;
  mode: 'full' | 'smoke';
  machine: { cpu: string; cores: number; memoryGb: number; node: string; sharp: Record<string, string | undefined>; vips?: string };
  settings: Record<string, unknown>;
  rows: Row[];
  skipped: Array<{ what: string; why: string }>;
  /** Text output of hooked scenarios that do not write rows (bulk.ts before it does). */
  attachments: Array<{ name: string; text: string }>;
}

export function machine(sharpVersions: Record<string, string | undefined>, vips?: string): Report['machine'] {
  const model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    cpu: model.trim(),
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    sharp: { sharp: sharpVersions.sharp, vips: sharpVersions.vips },
    ...(vips ? { vips } : {}),
  };
}

const fmt = (value: number): string => {
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
};

const range = (stats: Stats) => `${fmt(stats.min)} / **${fmt(stats.median)}** / ${fmt(stats.max)}`;

export function markdownTable(rows: Row[]): string {
  const header = ['group', 'scenario', 'subject', 'median', 'baseline', 'median', 'ratio min / med / max', 'target', 'met'];
  const lines = rows.map((row) => [
    row.group,
    row.scenario,
    row.subject,
    `${fmt(row.subjectValue.median)} ${row.unit}`,
    row.baseline ?? '',
    row.baselineValue ? `${fmt(row.baselineValue.median)} ${row.unit}` : '',
    row.ratio ? range(row.ratio) : '',
    row.target ?? '',
    row.met === undefined ? '' : row.met ? 'yes' : '**no**',
  ]);
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...lines.map(line)].join('\n');
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal bars of each row's median ratio with its min–max whisker, log scale, 1× marked. */
export function svgChart(rows: Row[]): string {
  const plotted = rows.filter((row) => row.ratio);
  const labelWidth = 520;
  const plotWidth = 420;
  const rowHeight = 22;
  const top = 40;
  const height = top + plotted.length * rowHeight + 30;
  const maxLog = Math.log10(Math.max(4, ...plotted.map((row) => row.ratio!.max)));
  const minLog = Math.log10(Math.min(0.25, ...plotted.map((row) => Math.max(1e-3, row.ratio!.min))));
  const x = (value: number) => labelWidth + ((Math.log10(Math.max(1e-3, value)) - minLog) / (maxLog - minLog)) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 120}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">shutter vs baselines: ratio subject/baseline (median, whisker min–max), log scale</text>`,
  ];
  for (const tick of [0.1, 0.25, 0.5, 1, 2, 4, 10, 100, 1000]) {
    if (Math.log10(tick) < minLog || Math.log10(tick) > maxLog) continue;
    parts.push(`<line x1="${x(tick)}" x2="${x(tick)}" y1="${top - 6}" y2="${height - 24}" stroke="${tick === 1 ? '#333' : '#ddd'}"/>`);
    parts.push(`<text x="${x(tick)}" y="${height - 10}" text-anchor="middle" fill="#555">${tick}×</text>`);
  }
  plotted.forEach((row, i) => {
    const y = top + i * rowHeight;
    const { min, median, max } = row.ratio!;
    const colour = row.met === undefined ? '#7a8fb3' : row.met ? '#3c9d5d' : '#d0543c';
    const label = `${row.scenario} — ${row.subject} vs ${row.baseline ?? ''}`;
    parts.push(`<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${escape(label.length > 80 ? `${label.slice(0, 79)}…` : label)}</text>`);
    parts.push(`<rect x="${Math.min(x(1), x(median))}" y="${y + 4}" width="${Math.abs(x(median) - x(1))}" height="12" fill="${colour}"/>`);
    parts.push(`<line x1="${x(min)}" x2="${x(max)}" y1="${y + 10}" y2="${y + 10}" stroke="#222"/>`);
    parts.push(`<text x="${Math.max(x(max), x(median)) + 6}" y="${y + 14}" fill="#222">${fmt(median)}×${row.target ? ` (target ${escape(row.target)})` : ''}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export async function writeReport(report: Report, dir: string, name?: string): Promise<{ json: string; svg: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const base = name ?? (report.mode === 'smoke' ? 'smoke' : 'latest');
  const json = path.join(dir, `${base}.json`);
  const svg = path.join(dir, `${base}.svg`);
  const html = path.join(dir, `${base}.html`);
  const chart = svgChart(report.rows);
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(svg, `${chart}\n`);
  const rowsHtml = report.rows
    .map(
      (row) =>
        `<tr><td>${escape(row.group)}</td><td>${escape(row.scenario)}</td><td>${escape(row.subject)}</td><td>${fmt(row.subjectValue.median)} ${escape(row.unit)}</td><td>${escape(row.baseline ?? '')}</td><td>${row.baselineValue ? `${fmt(row.baselineValue.median)} ${escape(row.unit)}` : ''}</td><td>${row.ratio ? `${fmt(row.ratio.min)} / <b>${fmt(row.ratio.median)}</b> / ${fmt(row.ratio.max)}` : ''}</td><td>${escape(row.target ?? '')}</td><td>${row.met === undefined ? '' : row.met ? 'yes' : '<b>no</b>'}</td><td>${escape(row.note ?? '')}</td></tr>`,
    )
    .join('\n');
  await writeFile(
    html,
    `<!doctype html><meta charset="utf-8"><title>shutter bench ${report.started}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}</style>
<h1>shutter bench (${report.mode})</h1>
<p>${escape(report.machine.cpu)}, ${report.machine.cores} cores, ${report.machine.memoryGb} GB, Node ${escape(report.machine.node)}, sharp ${escape(report.machine.sharp.sharp ?? '')} (libvips ${escape(report.machine.sharp.vips ?? '')})${report.machine.vips ? `, CLI ${escape(report.machine.vips)}` : ''}. Started ${report.started}.</p>
${chart}
<table><tr><th>group</th><th>scenario</th><th>subject</th><th>median</th><th>baseline</th><th>median</th><th>ratio min / med / max</th><th>target</th><th>met</th><th>note</th></tr>
${rowsHtml}
</table>
${report.skipped.length ? `<h2>Skipped</h2><ul>${report.skipped.map((s) => `<li>${escape(s.what)}: ${escape(s.why)}</li>`).join('')}</ul>` : ''}
${report.attachments.map((a) => `<h2>${escape(a.name)}</h2><pre>${escape(a.text)}</pre>`).join('\n')}
`,
  );
  return { json, svg, html };
}

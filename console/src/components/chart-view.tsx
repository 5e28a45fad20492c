/** A Chart.js chart (bundled, only the parts used), drawn on a canvas: no inline script or style. */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';
import type { ChartData } from '../analytics.js';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);

const COLORS = ['#2563eb', '#16a34a', '#d97706', '#dc2626', '#7c3aed', '#0891b2'];

export function ChartView({ data, kind, title }: { data: ChartData; kind: 'bar' | 'line'; title: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: kind,
      data: {
        labels: data.labels,
        datasets: data.series.map((series, index) => ({
          label: series.name,
          data: series.values,
          backgroundColor: COLORS[index % COLORS.length] + (kind === 'bar' ? 'cc' : '33'),
          borderColor: COLORS[index % COLORS.length],
          borderWidth: kind === 'line' ? 2 : 0,
          tension: 0.25,
          pointRadius: 3,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: data.series.length > 1, position: 'bottom' },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format(item.parsed.y, data.ratio)}` } },
        },
        scales: {
          y: { beginAtZero: true, ...(data.ratio ? { max: 1 } : {}), ticks: { callback: (value) => format(Number(value), data.ratio) } },
        },
      },
    });
    return () => chart.destroy();
  }, [data, kind]);
  return (
    <div class="chart-box">
      <canvas ref={canvas} role="img" aria-label={title} />
    </div>
  );
}

function format(value: number | null, ratio: boolean): string {
  if (value === null) return '–';
  return ratio ? `${(value * 100).toFixed(value < 0.1 ? 1 : 0)}%` : value.toLocaleString(undefined, { maximumFractionDigits: 2 });
}

/** A Chart.js chart (bundled, only the parts used), drawn on a canvas: no inline script or style. */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';
import { formatValue, type ChartData } from '../analytics.js';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, LogarithmicScale, Tooltip, Legend);

const COLORS = ['#2563eb', '#16a34a', '#d97706', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

export function ChartView({ data, title }: { data: ChartData; title: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: data.kind,
      data: {
        labels: data.labels,
        datasets: data.series.map((series, index) => ({
          label: series.name,
          data: series.values,
          backgroundColor: COLORS[index % COLORS.length] + (data.kind === 'bar' ? 'cc' : '33'),
          borderColor: COLORS[index % COLORS.length],
          borderWidth: data.kind === 'line' ? 2 : 0,
          tension: 0.25,
          pointRadius: 3,
          spanGaps: true,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: data.series.length > 1, position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${formatValue(item.parsed.y, data.unit)}` } },
        },
        scales: {
          // Long labels (a day and a stage) turn and thin out rather than overlap.
          x: { ticks: { autoSkip: true, autoSkipPadding: 12, maxRotation: 45 } },
          y:
            data.scale === 'log'
              ? { type: 'logarithmic', ticks: { callback: (value) => formatValue(Number(value), data.unit) } }
              : { beginAtZero: true, ...(data.unit === 'ratio' ? { max: 1 } : {}), ticks: { callback: (value) => formatValue(Number(value), data.unit) } },
        },
      },
    });
    return () => chart.destroy();
  }, [data]);
  return (
    <div class="chart-box" data-chart-kind={data.kind} data-chart-unit={data.unit} data-chart-scale={data.scale}>
      <canvas ref={canvas} role="img" aria-label={title} />
    </div>
  );
}

/** Analytics: the named queries (the same SQL Athena runs in AWS) as charts, each with its rows. */
import { useMemo } from 'preact/hooks';
import { api } from '../api.js';
import { DASHBOARD, toChartData, type NamedQuery } from '../analytics.js';
import { ChartView } from '../components/chart-view.js';
import { formatNumber } from '../format.js';
import { usePolling } from '../polling.js';

export function AnalyticsPage() {
  return (
    <section>
      <div class="page-header">
        <h1>Analytics</h1>
        <span class="muted">Refreshed every minute</span>
      </div>
      <div class="chart-grid">
        {DASHBOARD.map((query) => (
          <QueryCard key={query.name} query={query} />
        ))}
      </div>
    </section>
  );
}

type Rows = Record<string, unknown>[];

function QueryCard({ query }: { query: NamedQuery }) {
  const result = usePolling(
    async (signal) => {
      const value = await api.get<Rows | { rows: Rows }>(`/api/analytics/${encodeURIComponent(query.name)}`, signal);
      return Array.isArray(value) ? value : value.rows;
    },
    60_000,
    [query.name],
  );
  const data = useMemo(() => toChartData(result.data ?? []), [result.data]);
  return (
    <article class="card chart-card" data-query={query.name} data-rows={result.data?.length ?? ''}>
      <h2>{query.title}</h2>
      <p class="muted small">{query.description}</p>
      {result.error && <p class="error-box">{result.error.message}</p>}
      {result.data && result.data.length === 0 && <p class="muted empty-chart">No data yet.</p>}
      {result.data && result.data.length > 0 && <ChartView data={data} kind={query.kind} title={query.title} />}
      {result.data && result.data.length > 0 && (
        <details>
          <summary>Rows ({result.data.length})</summary>
          <table class="table compact">
            <thead>
              <tr>
                {Object.keys(result.data[0]!).map((column) => (
                  <th key={column}>{column}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.data.map((row, index) => (
                <tr key={index}>
                  {Object.values(row).map((value, column) => (
                    <td key={column}>{formatNumber(value)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </article>
  );
}

/**
 * Analytics: every named query the server offers (GET /api/analytics; the same SQL runs on
 * DuckDB locally and Athena in AWS), each drawn as a chart with its rows underneath.
 */
import { useMemo } from 'preact/hooks';
import { api } from '../api.js';
import { toChartData, type NamedQuery, type Row } from '../analytics.js';
import { ChartView } from '../components/chart-view.js';
import { formatNumber } from '../format.js';
import { usePolling } from '../polling.js';

const REFRESH_MS = 60_000;

export function AnalyticsPage() {
  const list = usePolling((signal) => api.get<{ engine: string; queries: NamedQuery[] }>('/api/analytics', signal), undefined, []);
  return (
    <section>
      <div class="page-header">
        <h1>Analytics</h1>
        <span class="muted">{list.data ? `${list.data.queries.length} queries on ${list.data.engine}, refreshed every minute` : ''}</span>
      </div>
      {list.error && <p class="error-box">{list.error.message}</p>}
      <div class="chart-grid">
        {(list.data?.queries ?? []).map((query) => (
          <QueryCard key={query.name} query={query} />
        ))}
      </div>
    </section>
  );
}

function QueryCard({ query }: { query: NamedQuery }) {
  const result = usePolling((signal) => api.get<{ rows: Row[] }>(query.url, signal), REFRESH_MS, [query.url]);
  const rows = result.data?.rows;
  const data = useMemo(() => toChartData(rows ?? []), [rows]);
  return (
    <article class="card chart-card" data-query={query.name} data-rows={rows?.length ?? ''}>
      <h2>{query.title || query.name}</h2>
      <p class="muted small">{query.description}</p>
      {result.error && <p class="error-box">{result.error.message}</p>}
      {rows && rows.length === 0 && <p class="muted empty-chart">No data yet.</p>}
      {rows && rows.length > 0 && <ChartView data={data} title={query.title} />}
      {rows && rows.length > 0 && (
        <details>
          <summary>Rows ({rows.length})</summary>
          <div class="table-scroll">
            <table class="table compact">
              <thead>
                <tr>
                  {Object.keys(rows[0]!).map((column) => (
                    <th key={column}>{column}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((row, index) => (
                  <tr key={index}>
                    {Object.values(row).map((value, column) => (
                      <td key={column}>{formatNumber(value)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </article>
  );
}

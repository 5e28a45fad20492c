/**
 * The analytics API, added to the app's route table by `createApp(platform, analyticsRoutes(engine))`:
 *
 *   GET /api/analytics          the named queries: name, title, description, URL
 *   GET /api/analytics/<name>   the query's rows as JSON: { query, engine, columns, rows }
 */
import { loadNamedQueries, runNamedQuery, QUERIES_DIR } from '../../analytics/named-queries.js';
import type { QueryEngine } from '../../core/ports/query-engine.js';
import { json } from '../../api/http.js';
import type { Route } from '../../api/router.js';

export function analyticsRoutes(engine: QueryEngine, options: { queriesDir?: string } = {}): Route[] {
  const dir = options.queriesDir ?? QUERIES_DIR;
  return [
    {
      name: 'analytics-index',
      method: ['GET', 'HEAD'],
      path: /^\/api\/analytics\/?$/,
      handle: async () => {
        const queries = await loadNamedQueries(dir);
        return json(200, { engine: engine.name, queries: queries.map(({ name, title, description }) => ({ name, title, description, url: `/api/analytics/${name}` })) });
      },
    },
    {
      name: 'analytics',
      method: ['GET', 'HEAD'],
      path: /^\/api\/analytics\/([^/]+)$/,
      handle: async (_request, [name]) => {
        const result = await runNamedQuery(engine, safeDecode(name!), dir);
        // Dashboards poll; a minute of staleness is fine and spares the engine (and Athena's bill).
        return json(200, { query: result.query, engine: engine.name, columns: result.columns, rows: result.rows }, { 'Cache-Control': 'max-age=60' });
      },
    },
  ];
}

/** A malformed escape is just an unknown name (404), not a server error. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

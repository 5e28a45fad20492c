/**
 * The dashboard queries: one SQL file per query in `analytics/queries/`, in Athena's dialect,
 * run as they are by Athena (and QuickSight's custom SQL) and by DuckDB locally. Each file
 * starts with `-- title:` and `-- description:` lines.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '../core/errors.js';
import type { QueryEngine, QueryResult } from '../core/ports/query-engine.js';

export interface NamedQuery {
  name: string;
  title: string;
  description: string;
  sql: string;
}

/**
 * `analytics/queries/` next to this module, and also from the bundled CLI in `dist/` (one level
 * below the root, like `analytics/`).
 */
export const QUERIES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'analytics', 'queries');

const NAME = /^[a-z][a-z0-9_]*$/;

export async function loadNamedQueries(dir = QUERIES_DIR): Promise<NamedQuery[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(path.join(dir, file), 'utf8');
      const header = (key: string) => new RegExp(`^--\\s*${key}:\\s*(.+)$`, 'm').exec(sql)?.[1]?.trim() ?? '';
      return { name: file.slice(0, -'.sql'.length), title: header('title'), description: header('description'), sql };
    }),
  );
}

/** Runs a named query; an unknown name is a 404 with code `Analytics::UnknownQuery`. */
export async function runNamedQuery(engine: QueryEngine, name: string, dir = QUERIES_DIR): Promise<QueryResult & { query: string }> {
  const queries = NAME.test(name) ? await loadNamedQueries(dir) : [];
  const query = queries.find((candidate) => candidate.name === name);
  if (!query) throw new NotFoundError('Analytics::UnknownQuery', `No analytics query named "${name}".`);
  return { query: name, ...(await engine.run(query.sql)) };
}

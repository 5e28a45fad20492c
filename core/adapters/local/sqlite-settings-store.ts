/**
 * Delivery settings in one SQLite file (`$SHUTTER_DATA_DIR/settings.db`, Node's `node:sqlite`):
 * a row per setting, its JSON value and its version. A conditional write is one statement, so
 * two operators saving at once cannot both win.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type * as sqlite from 'node:sqlite';
import type { SettingKind } from '../../delivery-settings.js';
import { versionMismatch, type ExpectedVersion, type SettingsStore, type StoredSetting } from '../../ports/settings-store.js';

// As in workflows/engine/sqlite-execution-store.ts: loaded through getBuiltinModule for test runners.
const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as typeof sqlite;

interface Row {
  kind: string;
  name: string;
  value: string;
  version: number;
  updated_at: string;
  updated_by: string | null;
}

export class SqliteSettingsStore implements SettingsStore {
  private readonly db: sqlite.DatabaseSync;

  constructor(file: string, private readonly now: () => Date = () => new Date()) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new DatabaseSync(file);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      CREATE TABLE IF NOT EXISTS settings (
        kind TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
        version INTEGER NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT,
        PRIMARY KEY (kind, name)
      ) WITHOUT ROWID;`);
  }

  async list(kind: SettingKind): Promise<StoredSetting[]> {
    const rows = this.db.prepare('SELECT * FROM settings WHERE kind = ? ORDER BY name').all(kind) as unknown as Row[];
    return rows.map(toSetting);
  }

  async get(kind: SettingKind, name: string): Promise<StoredSetting | undefined> {
    const row = this.db.prepare('SELECT * FROM settings WHERE kind = ? AND name = ?').get(kind, name) as unknown as Row | undefined;
    return row && toSetting(row);
  }

  async put(kind: SettingKind, name: string, value: unknown, options: { expected?: ExpectedVersion; by?: string } = {}): Promise<StoredSetting> {
    const json = JSON.stringify(value);
    const at = this.now().toISOString();
    const by = options.by ?? null;
    const { expected } = options;
    const changes =
      expected === 'absent'
        ? this.db.prepare('INSERT INTO settings VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT DO NOTHING').run(kind, name, json, at, by).changes
        : expected === undefined
          ? this.db
              .prepare('INSERT INTO settings VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (kind, name) DO UPDATE SET value = excluded.value, version = version + 1, updated_at = excluded.updated_at, updated_by = excluded.updated_by')
              .run(kind, name, json, at, by).changes
          : this.db.prepare('UPDATE settings SET value = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE kind = ? AND name = ? AND version = ?').run(json, at, by, kind, name, expected).changes;
    if (Number(changes) === 0) throw versionMismatch(kind, name);
    return (await this.get(kind, name))!;
  }

  async delete(kind: SettingKind, name: string, options: { expected?: ExpectedVersion } = {}): Promise<boolean> {
    const { expected } = options;
    if (expected === 'absent') throw versionMismatch(kind, name);
    const result =
      expected === undefined
        ? this.db.prepare('DELETE FROM settings WHERE kind = ? AND name = ?').run(kind, name)
        : this.db.prepare('DELETE FROM settings WHERE kind = ? AND name = ? AND version = ?').run(kind, name, expected);
    if (Number(result.changes) === 0 && expected !== undefined) throw versionMismatch(kind, name);
    return Number(result.changes) > 0;
  }

  close(): void {
    this.db.close();
  }
}

function toSetting(row: Row): StoredSetting {
  return {
    kind: row.kind as SettingKind,
    name: row.name,
    value: JSON.parse(row.value) as unknown,
    version: Number(row.version),
    updatedAt: row.updated_at,
    ...(row.updated_by ? { updatedBy: row.updated_by } : {}),
  };
}

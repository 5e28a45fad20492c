/**
 * The lake's tables and views, as data: the local DuckDB engine reads the JSON lines with these
 * columns (`duckdbType` in its adapter) and creates the views; the CDK analytics stack gives the
 * Glue `events` table the same column types ({@link hiveType}, infra/lake-tables.ts) and creates the
 * views as Glue views ({@link glueViewInput}). The `data` column is derived from the event catalog
 * (the union of every type's data fields), so a field added to an event shows up here without a
 * second edit.
 */
import { z } from 'zod';
import { EVENT_CATALOG } from '../core/events/event-catalog.js';
import { EVENT_TYPES } from '../core/ports/event-sink.js';
import type { ColumnType, TableDefinition, ViewDefinition } from '../core/ports/query-engine.js';

const STRING: ColumnType = { kind: 'string' };

type JsonSchema = { type?: string; properties?: Record<string, JsonSchema>; items?: JsonSchema; enum?: unknown[]; const?: unknown; anyOf?: JsonSchema[] };

function columnTypeOf(schema: JsonSchema, where: string): ColumnType {
  if (schema.anyOf) return columnTypeOf(schema.anyOf.find((option) => option.type !== 'null') ?? {}, where);
  switch (schema.type) {
    case 'string':
      return STRING;
    case 'integer':
      return { kind: 'bigint' };
    case 'number':
      return { kind: 'double' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'array':
      return { kind: 'array', of: columnTypeOf(schema.items ?? {}, `${where}[]`) };
    case 'object':
      return { kind: 'struct', fields: Object.entries(schema.properties ?? {}).map(([name, field]) => ({ name, type: columnTypeOf(field, `${where}.${name}`) })) };
    default:
      if (schema.enum?.every((value) => typeof value === 'string')) return STRING;
      throw new Error(`analytics/tables: no column type for ${where} (${JSON.stringify(schema)})`);
  }
}

/** Merges the fields of two struct types; the same name must have the same type everywhere. */
function mergeStructs(into: Map<string, ColumnType>, fields: ReadonlyArray<{ name: string; type: ColumnType }>, where: string): void {
  for (const field of fields) {
    const existing = into.get(field.name);
    if (!existing) into.set(field.name, field.type);
    else if (existing.kind === 'struct' && field.type.kind === 'struct') {
      const merged = new Map(existing.fields.map((inner) => [inner.name, inner.type] as const));
      mergeStructs(merged, field.type.fields, `${where}.${field.name}`);
      into.set(field.name, { kind: 'struct', fields: [...merged].map(([name, type]) => ({ name, type })) });
    } else if (hiveType(existing) !== hiveType(field.type)) {
      throw new Error(`analytics/tables: ${where}.${field.name} is ${hiveType(existing)} in one event type and ${hiveType(field.type)} in another`);
    }
  }
}

/** The `data` column: every event type's data fields in one struct (absent fields read as NULL). */
export function eventDataType(): ColumnType {
  const fields = new Map<string, ColumnType>();
  for (const type of EVENT_TYPES) {
    const schema = z.toJSONSchema(EVENT_CATALOG[type].data, { io: 'input' }) as JsonSchema;
    const struct = columnTypeOf(schema, type);
    if (struct.kind !== 'struct') throw new Error(`analytics/tables: ${type} data is not an object`);
    mergeStructs(fields, struct.fields, 'data');
  }
  return { kind: 'struct', fields: [...fields].map(([name, type]) => ({ name, type })) };
}

const EVENT_COLUMNS: TableDefinition['columns'] = [
  { name: 'specversion', type: STRING, comment: 'CloudEvents version, 1.0' },
  { name: 'id', type: STRING, comment: 'unique per event; copies share it' },
  { name: 'type', type: STRING, comment: 'image.workflow.completed, image.request.served, …' },
  { name: 'source', type: STRING, comment: 'shutter/workflow or shutter/api' },
  { name: 'subject', type: STRING, comment: 'image id (bucket/key)' },
  { name: 'time', type: STRING, comment: 'RFC 3339, UTC' },
  { name: 'datacontenttype', type: STRING, comment: 'application/json' },
  { name: 'dataschema', type: STRING, comment: 'URL of the data schema, events/schemas/<type>.v<n>.json' },
  { name: 'data', type: eventDataType(), comment: 'the event data; fields of other types are NULL' },
];

/**
 * `events_once`: each event once, the step every dashboard query starts from. Delivery is at least
 * once (outbox retries, Kafka redelivery), so the lake may hold copies of an event: same id, same
 * content. Copies also share their type and day (`dt` is the event's own UTC date), so numbering
 * within (dt, type, id) drops the same rows as within id alone, and lets both engines apply a
 * query's `type` or `dt` filter before the window instead of after it.
 */
export const EVENTS_ONCE_VIEW: ViewDefinition = {
  name: 'events_once',
  description: 'each shutter event once: the copies that at-least-once delivery leaves in `events` dropped',
  sql: [
    `SELECT ${[...EVENT_COLUMNS.map((column) => column.name), 'dt'].map((name) => `"${name}"`).join(', ')}`,
    'FROM (',
    '  SELECT *, row_number() OVER (PARTITION BY dt, type, id ORDER BY "time") AS copy',
    '  FROM events',
    ') AS numbered',
    'WHERE copy = 1',
  ].join('\n'),
};

/** `events`: every event and access record, one row per event (copies possible: queries read {@link EVENTS_ONCE_VIEW}). */
export const EVENTS_TABLE: TableDefinition = {
  name: 'events',
  description: 'shutter events (CloudEvents JSON lines), partitioned by the UTC date of the event',
  location: 'events/',
  partitionKey: 'dt',
  columns: EVENT_COLUMNS,
  views: [EVENTS_ONCE_VIEW],
};

export const TABLES: readonly TableDefinition[] = [EVENTS_TABLE];

/** Hive/Glue DDL type, e.g. `struct<bucket:string,key:string>`. */
export function hiveType(type: ColumnType): string {
  switch (type.kind) {
    case 'array':
      return `array<${hiveType(type.of)}>`;
    case 'struct':
      return `struct<${type.fields.map((field) => `${field.name}:${hiveType(field.type)}`).join(',')}>`;
    default:
      return type.kind;
  }
}

/** Trino/Presto type, as Athena's view definitions spell it, e.g. `row(bucket varchar,key varchar)`. */
export function prestoType(type: ColumnType): string {
  switch (type.kind) {
    case 'array':
      return `array(${prestoType(type.of)})`;
    case 'struct':
      return `row(${type.fields.map((field) => `${field.name} ${prestoType(field.type)}`).join(',')})`;
    case 'string':
      return 'varchar';
    default:
      return type.kind;
  }
}

/**
 * The Glue `TableInput` of a view over `table` in `database`, as Athena stores a `CREATE VIEW`: a
 * `VIRTUAL_VIEW` whose original text is the Presto view (SQL, schema and column types, base64). CDK
 * deploys it like any table, with no query run at deploy time. Its columns must be the types Athena
 * derives from the table, or Athena calls the view stale: both come from the same {@link ColumnType}s.
 *
 * @example
 * new glue.CfnTable(this, 'EventsOnce', { catalogId: this.account, databaseName, tableInput: glueViewInput(EVENTS_ONCE_VIEW, EVENTS_TABLE, databaseName) });
 */
export function glueViewInput(view: ViewDefinition, table: TableDefinition, database: string) {
  const columns = [...table.columns, { name: table.partitionKey, type: STRING, comment: 'UTC date of the event, YYYY-MM-DD' }];
  const prestoView = {
    originalSql: view.sql,
    catalog: 'awsdatacatalog',
    schema: database,
    columns: columns.map((column) => ({ name: column.name, type: prestoType(column.type) })),
  };
  return {
    name: view.name,
    description: view.description,
    tableType: 'VIRTUAL_VIEW',
    parameters: { presto_view: 'true', comment: 'Presto View' },
    viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(prestoView)).toString('base64')} */`,
    viewExpandedText: '/* Presto View */',
    partitionKeys: [],
    storageDescriptor: {
      columns: columns.map((column) => ({ name: column.name, type: hiveType(column.type), comment: column.comment })),
      serdeInfo: {},
    },
  };
}

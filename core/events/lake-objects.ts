/**
 * The lake's object layout, decided once for every writer (the Lambda-side event sink with
 * streaming off, and the Kafka → S3 archiver): JSON lines under `<prefix>dt=YYYY-MM-DD/`, the
 * partitions the Glue `events` table projects (`infra/lake-tables.ts`) and DuckDB reads
 * (`analytics/tables.ts`).
 *
 * One object per partition per batch, named after the hash of the batch's event ids: a batch
 * delivered again (a retried task, a re-polled Kafka batch) writes the same keys with the same
 * bytes, so S3 holds no second copy; copies split differently across batches are rare and the
 * `events_once` view the queries read drops them by id (analytics/tables.ts).
 */
import { createHash } from 'node:crypto';
import type { ShutterEvent } from '../ports/event-sink.js';

/** `dt=YYYY-MM-DD` of an event: its time in UTC, whatever offset it was written with. */
export function partitionOf(event: Pick<ShutterEvent, 'time'>): string {
  return `dt=${new Date(event.time).toISOString().slice(0, 10)}`;
}

export interface LakeObject {
  key: string;
  body: Buffer;
  events: number;
}

/**
 * The objects a batch of events becomes: one per UTC day, duplicates of an id within the batch
 * left out, lines ordered by id so the same set of events always gives the same bytes.
 *
 * @example lakeObjects(events, 'events/') // [{ key: 'events/dt=2026-12-05/3f1c…e2.jsonl', … }]
 */
export function lakeObjects(events: readonly ShutterEvent[], prefix: string): LakeObject[] {
  const byPartition = new Map<string, Map<string, ShutterEvent>>();
  for (const event of events) {
    const partition = partitionOf(event);
    const day = byPartition.get(partition) ?? new Map<string, ShutterEvent>();
    if (!day.has(event.id)) day.set(event.id, event);
    byPartition.set(partition, day);
  }
  return [...byPartition].map(([partition, day]) => {
    const ids = [...day.keys()].sort();
    const name = createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 32);
    const body = ids.map((id) => JSON.stringify(day.get(id))).join('\n') + '\n';
    return { key: `${prefix}${partition}/${name}.jsonl`, body: Buffer.from(body), events: ids.length };
  });
}

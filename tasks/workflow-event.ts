/**
 * Builds the workflow's CloudEvents. Ids are derived from the execution and what the event is
 * about, so a task that runs again (retry, redrive, restart) re-sends the same ids and
 * consumers, who dedupe by id, see each event once.
 */
import { createHash } from 'node:crypto';
import type { EventType, ShutterEvent } from '../core/ports/event-sink.js';

export function workflowEvent<T extends Record<string, unknown>>(
  type: EventType,
  fields: { executionId: string; imageId: string; about?: string; time: Date; data: T },
): ShutterEvent<T> {
  const digest = createHash('sha256').update(`${fields.executionId}\n${type}\n${fields.about ?? ''}`).digest('hex');
  // Shaped as a UUID (version nibble 5-like), as consumers often store ids in uuid columns.
  const id = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-a${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  return {
    specversion: '1.0',
    id,
    type,
    source: 'shutter/workflow',
    subject: fields.imageId,
    time: fields.time.toISOString(),
    datacontenttype: 'application/json',
    data: fields.data,
  };
}

/** The execution's name: the last part of its ARN. */
export function executionNameOf(executionId: string): string {
  return executionId.slice(executionId.lastIndexOf(':') + 1);
}

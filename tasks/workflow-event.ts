/**
 * Builds the workflow's CloudEvents. Ids are derived from the execution and what the event is
 * about, so a task that runs again (retry, redrive, restart) re-sends the same ids and
 * consumers, who dedupe by id, see each event once.
 */
import { createHash } from 'node:crypto';
import { buildEvent } from '../core/events/build-event.js';
import type { EventData } from '../core/events/event-catalog.js';
import type { EventType, ShutterEvent } from '../core/ports/event-sink.js';
import { TASK_STATES } from './task-contract.js';
import { isTaskName } from './task-names.js';

/** A workflow event, validated against its schema in `core/events/event-catalog.ts`. */
export function workflowEvent<T extends EventType>(
  type: T,
  fields: { executionId: string; imageId: string; about?: string; time: Date; data: EventData<T> },
): ShutterEvent {
  const digest = createHash('sha256').update(`${fields.executionId}\n${type}\n${fields.about ?? ''}`).digest('hex');
  // Shaped as a UUID (version nibble 5-like), as consumers often store ids in uuid columns.
  const id = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-a${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  return buildEvent(type, { source: 'shutter/workflow', subject: fields.imageId, id, time: fields.time, data: fields.data });
}

/** Milliseconds since the execution started (0 when the start is unknown, e.g. a malformed input). */
export function durationSince(startedAt: string | undefined, now: Date): number {
  const started = startedAt ? Date.parse(startedAt) : NaN;
  return Number.isFinite(started) ? Math.max(0, now.getTime() - started) : 0;
}

/** The execution's name: the last part of its ARN. */
export function executionNameOf(executionId: string): string {
  return executionId.slice(executionId.lastIndexOf(':') + 1);
}

/** The state a task runs in (`TASK_STATES`), for the failure event's `state`; an unknown name stays as it came. */
export function stateOfTask(task: string): string {
  return isTaskName(task) ? TASK_STATES[task] : task;
}

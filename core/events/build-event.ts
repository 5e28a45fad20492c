/**
 * Builds and validates shutter's CloudEvents-style events. Producers call {@link buildEvent};
 * consumers and the lake writer call {@link parseEvent} on what they receive.
 *
 * Validation is zod's (already shutter's config validator): the schemas in `event-catalog.ts`
 * give the TypeScript types and the runtime check from one definition, and zod's own JSON
 * Schema export writes the published `events/schemas/*.json`, so no second validator
 * (ajv) has to be kept in step with hand-written JSON.
 *
 * @example
 * const event = buildEvent('image.workflow.failed', {
 *   source: 'shutter/workflow',
 *   subject: imageId('uploads', 'cat.jpg'),
 *   data: { image: { bucket: 'uploads', key: 'cat.jpg' }, execution_id: 'x', state: 'Inspect',
 *           error: { name: 'ImageError', code: 'ImageSource::CorruptImage', message: '…' }, duration_ms: 12 },
 * });
 * await sink.publish([event]);
 */
import { randomUUID } from 'node:crypto';
import * as z from '../zod.js';
import { RequestError } from '../errors.js';
import { EVENT_TYPES, type EventType, type ShutterEvent } from '../ports/event-sink.js';
import { EVENT_CATALOG, dataSchemaName, type EventData } from './event-catalog.js';

/** Where the published schemas live; `dataschema` is this base plus the schema's file name. */
export const DATA_SCHEMA_BASE = 'https://shutter.dev/events/schemas/';

/** The envelope, strict: CloudEvents' required attributes plus the ones shutter always sets. Built on first use, as the data's schemas (event-catalog.ts). */
const Envelope = z.lazy(() =>
  z.strictObject({
    specversion: z.literal('1.0'),
    id: z.string().check(z.minLength(1), z.maxLength(128)),
    type: z.enum(EVENT_TYPES),
    source: z.string().check(z.minLength(1)),
    subject: z.string().check(z.minLength(1), z.maxLength(2048)),
    time: z.iso.datetime({ offset: true }),
    datacontenttype: z.literal('application/json'),
    dataschema: z.optional(z.string()),
    data: z.record(z.string(), z.unknown()),
  }),
);

/** The image id, the partition key: one image's events land in one partition, in order. */
export function imageId(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

export interface BuildEventInput<T extends EventType> {
  /** Who emits it: `shutter/workflow`, `shutter/api`. */
  source: string;
  /** The image id (see {@link imageId}). */
  subject: string;
  data: EventData<T>;
  /** Keep the id when re-sending the same event so consumers can drop the copy. Default: a new UUID. */
  id?: string;
  time?: Date;
}

/** An event is not what its schema says. A producer bug, or a foreign message on the topic. */
export class InvalidEventError extends RequestError {
  constructor(message: string) {
    super('InvalidEvent', message, 400);
  }
}

/** Events this module built or validated; frozen, so they stay valid. Sinks skip re-validating them. */
const validated = new WeakSet<object>();

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * A validated event of `type`; throws {@link InvalidEventError} listing every problem. The
 * result is deeply frozen: a sink can trust it without validating again (validation is most of
 * the cost of publishing), and a change after the fact throws instead of slipping through.
 */
export function buildEvent<T extends EventType>(type: T, input: BuildEventInput<T>): ShutterEvent {
  return parseEvent({
    specversion: '1.0',
    id: input.id ?? randomUUID(),
    type,
    source: input.source,
    subject: input.subject,
    time: (input.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    dataschema: DATA_SCHEMA_BASE + dataSchemaName(type),
    data: input.data,
  });
}

/** Validates anything (a parsed Kafka message, a JSON line) as a shutter event. */
export function parseEvent(value: unknown): ShutterEvent {
  const envelope = Envelope.safeParse(value);
  if (!envelope.success) throw new InvalidEventError(`Invalid event: ${describe(envelope.error)}`);
  const data = EVENT_CATALOG[envelope.data.type].data.safeParse(envelope.data.data);
  if (!data.success) throw new InvalidEventError(`Invalid ${envelope.data.type} data: ${describe(data.error)}`);
  const event = deepFreeze({ ...envelope.data, data: data.data } as ShutterEvent);
  validated.add(event);
  return event;
}

/** The event itself when this module already validated it (built or parsed here), else {@link parseEvent}'s result. */
export function validEvent(value: ShutterEvent | unknown): ShutterEvent {
  return typeof value === 'object' && value !== null && validated.has(value) ? (value as ShutterEvent) : parseEvent(value);
}

function describe(error: z.core.$ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`).join('; ');
}

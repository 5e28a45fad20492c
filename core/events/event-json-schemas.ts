/**
 * The published JSON Schemas (draft 2020-12), generated from the zod catalog with zod's own
 * `toJSONSchema`: `events/schemas/<type>.v<n>.json` for each type's `data` (what `dataschema`
 * points to) and `events/schemas/shutter-event.v1.json` for the envelope. Non-TypeScript
 * consumers validate against these; `npm run events:schemas` rewrites them and a test fails
 * when the committed files differ from the catalog.
 */
import { z } from 'zod';
import { EVENT_TYPES, type EventType } from '../ports/event-sink.js';
import { DATA_SCHEMA_BASE } from './build-event.js';
import { EVENT_CATALOG, dataSchemaName } from './event-catalog.js';

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';

export function dataJsonSchema(type: EventType): Record<string, unknown> {
  const { $schema: _draft, ...schema } = z.toJSONSchema(EVENT_CATALOG[type].data, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  return { $schema: DRAFT, $id: DATA_SCHEMA_BASE + dataSchemaName(type), title: `${type} data, v${EVENT_CATALOG[type].version}`, ...schema };
}

export const ENVELOPE_SCHEMA_NAME = 'shutter-event.v1.json';

export function envelopeJsonSchema(): Record<string, unknown> {
  return {
    $schema: DRAFT,
    $id: DATA_SCHEMA_BASE + ENVELOPE_SCHEMA_NAME,
    title: 'shutter event (CloudEvents 1.0, structured JSON)',
    type: 'object',
    required: ['specversion', 'id', 'type', 'source', 'subject', 'time', 'datacontenttype', 'data'],
    additionalProperties: false,
    properties: {
      specversion: { const: '1.0' },
      id: { type: 'string', minLength: 1, maxLength: 128, description: 'Unique per event; a re-sent copy keeps it: consumers dedupe by id.' },
      type: { enum: [...EVENT_TYPES] },
      source: { type: 'string', minLength: 1 },
      subject: { type: 'string', minLength: 1, maxLength: 2048, description: 'The image id (bucket/key), the Kafka message key.' },
      time: { type: 'string', format: 'date-time' },
      datacontenttype: { const: 'application/json' },
      dataschema: { type: 'string', description: `${DATA_SCHEMA_BASE}<type>.v<n>.json` },
      data: { type: 'object' },
    },
  };
}

/** Every schema file by name, as it must appear in `events/schemas/`. */
export function eventSchemaFiles(): Record<string, string> {
  const files: Record<string, string> = { [ENVELOPE_SCHEMA_NAME]: JSON.stringify(envelopeJsonSchema(), null, 2) + '\n' };
  for (const type of EVENT_TYPES) files[dataSchemaName(type)] = JSON.stringify(dataJsonSchema(type), null, 2) + '\n';
  return files;
}

import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { buildEvent, imageId, parseEvent } from '../../../core/events/build-event.js';
import { EVENT_CATALOG } from '../../../core/events/event-catalog.js';
import { eventSchemaFiles } from '../../../core/events/event-json-schemas.js';
import { EVENT_TYPES, type ShutterEvent } from '../../../core/ports/event-sink.js';
import { ROOT } from '../../helpers/images.js';

const fixture = async (type: string) => JSON.parse(await readFile(path.join(ROOT, 'test/fixtures/events', `${type}.json`), 'utf8')) as ShutterEvent;

async function committedSchemas(): Promise<Record<string, string>> {
  const dir = path.join(ROOT, 'events/schemas');
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await readFile(path.join(dir, name), 'utf8')] as const)));
}

/** An independent validator (ajv, draft 2020-12) over the committed schema files, as a non-TypeScript consumer would use them. */
async function schemaValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  for (const text of Object.values(await committedSchemas())) ajv.addSchema(JSON.parse(text) as object);
  return (event: ShutterEvent) => {
    const envelope = ajv.getSchema('https://shutter.dev/events/schemas/shutter-event.v1.json')!;
    const data = ajv.getSchema(event.dataschema!)!;
    return { envelope: envelope(event), data: data(event.data), errors: [envelope.errors, data.errors] };
  };
}

describe('event contract', () => {
  test('the committed JSON Schemas are the ones the zod catalog generates (run `npm run events:schemas` after changing it)', async () => {
    expect(await committedSchemas()).toEqual(eventSchemaFiles());
  });

  test("each type's schema is built on first use (z.lazy): a process builds only those of the types it produces, the image Lambda none at load", () => {
    expect(EVENT_TYPES.filter((type) => EVENT_CATALOG[type].data._zod.def.type !== 'lazy')).toEqual([]);
  });

  test.each(EVENT_TYPES)('a real %s event passes the builder and the published JSON Schema', async (type) => {
    const event = await fixture(type);
    expect(parseEvent(event)).toEqual(event);
    const rebuilt = buildEvent(type, { source: event.source, subject: event.subject, id: event.id, time: new Date(event.time), data: event.data as never });
    expect(rebuilt).toEqual(event);
    const validate = await schemaValidator();
    const result = validate(event);
    expect(result.errors).toEqual([null, null]);
  });

  test('buildEvent fills the CloudEvents envelope: a fresh UUID id, the time, the dataschema', () => {
    const event = buildEvent('image.workflow.failed', {
      source: 'shutter/workflow',
      subject: imageId('uploads', 'a.jpg'),
      data: { image: { bucket: 'uploads', key: 'a.jpg' }, execution_id: 'e', state: 'Inspect', error: { name: 'ImageError', code: 'ImageSource::CorruptImage', message: 'corrupt' }, duration_ms: 3 },
    });
    expect(event).toMatchObject({ specversion: '1.0', type: 'image.workflow.failed', subject: 'uploads/a.jpg', datacontenttype: 'application/json', dataschema: 'https://shutter.dev/events/schemas/image.workflow.failed.v1.json' });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(event.time)).not.toBeNaN();
  });

  test.each([
    ['a typo in a data field', (event: ShutterEvent) => ({ ...event, data: { ...event.data, duraton_ms: 1 } }), /duraton_ms|Unrecognized/],
    ['a missing data field', (event: ShutterEvent) => ({ ...event, data: { ...event.data, image: undefined } }), /image/],
    ['a wrong type', (event: ShutterEvent) => ({ ...event, data: { ...event.data, duration_ms: 'fast' } }), /duration_ms/],
    ['an unknown event type', (event: ShutterEvent) => ({ ...event, type: 'image.deleted' }), /type/],
    ['a time without offset', (event: ShutterEvent) => ({ ...event, time: '2026-03-01 12:00' }), /time/],
    ['an extra envelope attribute', (event: ShutterEvent) => ({ ...event, partitionkey: 'x' }), /partitionkey|Unrecognized/],
  ])('refuses %s with InvalidEvent (400), and so does the JSON Schema', async (_name, mutate, message) => {
    const bad = mutate(await fixture('image.rendition.created')) as ShutterEvent;
    let caught: unknown;
    try {
      parseEvent(bad);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'InvalidEvent', status: 400, name: 'RequestError' });
    expect((caught as Error).message).toMatch(message);
    const validate = await schemaValidator();
    const result = bad.dataschema && EVENT_TYPES.includes(bad.type) ? validate(bad) : { envelope: false, data: false };
    expect(result.envelope && result.data).toBe(false);
  });
});

/**
 * The OpenAPI document against the code: every route the router knows is documented (and each
 * documented path reaches its route), every example validates against its schema, every error
 * code it lists is one the code answers, and the request schemas are the routes' own.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createApp } from '../../../console/server/app.js';
import { operatorRoutes } from '../../../console/server/operator-routes.js';
import { UNDOCUMENTED_ROUTES } from '../../../console/server/openapi.js';
import { Backfill, Decision, ListQuery } from '../../../console/server/workflow-routes.js';
import { SignBody } from '../../../console/server/console-routes.js';
import { TABLES } from '../../../analytics/tables.js';
import { createQueryEngine } from '../../../core/compose.js';
import type { WorkflowEngine } from '../../../core/ports/workflow-engine.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { KNOWN_CODES } from '../../reliability/known-codes.js';
import { z } from 'zod';

interface OperationDoc {
  'x-shutter-route': string;
  parameters: Array<{ name: string; in: string; schema: object }>;
  requestBody?: { content: Record<string, MediaDoc> };
  responses: Record<string, { content?: Record<string, MediaDoc> }>;
}
interface MediaDoc {
  schema: object;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, OperationDoc>>;
  components: { schemas: Record<string, object> };
}

let t: TestApp;
let doc: Document;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  t = await createTestApp();
  // The full route table, as `shutter serve` builds it (the engine is never called here).
  app = createApp(t.platform, operatorRoutes(t.platform, { workflows: { engine: {} as WorkflowEngine, startUpload: () => Promise.reject(new Error('unused')) }, queries: createQueryEngine(t.platform.config, TABLES) }));
  app.ready = true;
  const response = await t.request('/openapi.json');
  expect(response.status).toBe(200);
  expect(response.headers['Content-Type']).toMatch(/^application\/json/);
  doc = JSON.parse(response.bytes.toString()) as Document;
});

// The second app's batched access records go out before jest tears the file down.
afterAll(async () => {
  await app.flush();
  await t.platform.events.flush();
});

const operations = () => Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));

test('/openapi.json is an OpenAPI 3.1 document', () => {
  expect(doc.openapi).toBe('3.1.0');
  expect(operations().length).toBeGreaterThan(20);
});

test('every route the router knows is documented, and nothing else is', () => {
  const known = new Set([...app.routes.map((route) => route.name), 'image']);
  const documented = new Set(operations().map(({ operation }) => operation['x-shutter-route']));
  const missing = [...known].filter((name) => !documented.has(name) && !(name in UNDOCUMENTED_ROUTES));
  expect(missing).toEqual([]);
  expect([...documented].filter((name) => !known.has(name))).toEqual([]);
});

test('each documented method and path reaches the route that documents it', async () => {
  for (const { path, method, operation } of operations()) {
    const concrete = path.replace(/\{[^}]+\}/g, 'x1');
    const response = await app.handle({ method: method.toUpperCase(), path: concrete, query: {}, headers: { host: 'localhost' } });
    expect({ path, method, route: response.meta?.route }).toEqual({ path, method, route: operation['x-shutter-route'] });
  }
});

test('every example validates against its schema', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('starts_with', true); // zod's name for startsWith; the pattern beside it does the check
  ajv.addSchema({ $id: 'doc', components: doc.components }, 'doc');
  const resolve = (schema: object) => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')) as object;
  let checked = 0;
  for (const { path, method, operation } of operations()) {
    const media = [...Object.values(operation.requestBody?.content ?? {}), ...Object.values(operation.responses).flatMap((response) => Object.values(response.content ?? {}))];
    for (const { schema, example, examples } of media) {
      const values = [...(example !== undefined ? [example] : []), ...Object.values(examples ?? {}).map((entry) => entry.value)];
      for (const value of values) {
        const valid = ajv.validate(resolve(schema), value);
        expect({ path, method, value, errors: valid ? null : ajv.errors }).toEqual({ path, method, value, errors: null });
        checked++;
      }
    }
  }
  expect(checked).toBeGreaterThan(40);
});

test('every error code the document lists is one the code answers', () => {
  const codes = operations().flatMap(({ operation }) =>
    Object.entries(operation.responses)
      .filter(([status]) => Number(status) >= 400)
      .flatMap(([, response]) => Object.values(response.content?.['application/json']?.examples ?? {}).map((entry) => (entry.value as { code: string }).code)),
  );
  expect(codes.length).toBeGreaterThan(30);
  expect(codes.filter((code) => !KNOWN_CODES.has(code))).toEqual([]);
});

test("request schemas are the routes' own zod schemas", () => {
  const bodyOf = (path: string, method: string) => Object.values(doc.paths[path]![method]!.requestBody!.content)[0]!.schema;
  const asInput = (schema: z.ZodType) => {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
    return rest;
  };
  expect(bodyOf('/api/executions/{id}/decision', 'post')).toEqual(asInput(Decision));
  expect(bodyOf('/api/backfills', 'post')).toEqual(asInput(Backfill));
  expect(bodyOf('/api/sign', 'post')).toEqual(asInput(SignBody));
  const statusParameter = doc.paths['/api/executions']!.get!.parameters.find((parameter) => parameter.name === 'status');
  expect(statusParameter?.schema).toEqual((asInput(ListQuery) as { properties: Record<string, object> }).properties.status);
});

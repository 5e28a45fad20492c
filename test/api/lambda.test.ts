/**
 * The on-demand Lambda writes one CloudWatch EMF line per request whose dimensions are the labels
 * of /metrics' request counter (route, door, status), so a dashboard means the same in both.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApiGatewayV2Event } from '../../api/lambda-adapter.js';
import { FsStorage } from '../../core/adapters/local/fs-storage.js';
import { registry } from '../../core/observability/prometheus.js';
import { fixture, samplePhoto } from '../helpers/images.js';

const v2 = JSON.parse(fixture('events', 'apigw-http-v2-query.json').toString()) as ApiGatewayV2Event;
const event = (rawPath: string, query: Record<string, string> = {}): ApiGatewayV2Event => ({
  ...v2,
  rawPath,
  rawQueryString: new URLSearchParams(query).toString(),
  queryStringParameters: query,
});

let dataDir: string;
const saved = { ...process.env };
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-lambda-'));
  // api/lambda.ts builds its platform from the environment when it is first imported.
  Object.assign(process.env, { SHUTTER_DATA_DIR: dataDir, SHUTTER_STORAGE: 'local', ANALYZER: 'attention', LOG_LEVEL: 'silent', EVENTS_ACCESS_SAMPLE_RATE: '0' });
  await new FsStorage(path.join(dataDir, 'buckets')).put('images', 'astronaut.jpg', samplePhoto('astronaut'));
});
afterAll(async () => {
  process.env = saved;
  await rm(dataDir, { recursive: true, force: true });
});

test('each request writes an EMF line with the route, door and status /metrics counts it under', async () => {
  const { handler } = await import('../../api/lambda.js');
  const lines: string[] = [];
  jest.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  const results = [
    await handler(event('/astronaut.jpg', { width: '120', format: 'png' })),
    await handler(event('/missing.jpg')),
    await handler(event('/health')),
  ];
  jest.restoreAllMocks();
  const emf = lines.map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][] }> } });
  expect(emf).toHaveLength(3);
  expect(emf.map(({ Route, Door, Status }) => ({ Route, Door, Status }))).toEqual([
    { Route: 'image', Door: 'Thumbor', Status: '200' }, // the query form is SIH's Thumbor request type
    { Route: 'image', Door: 'none', Status: '404' },
    { Route: 'health', Door: 'none', Status: '200' },
  ]);
  const text = await registry.metrics();
  for (const [index, line] of emf.entries()) {
    expect(line._aws.CloudWatchMetrics[0]!.Dimensions).toContainEqual(['Route', 'Door', 'Status']);
    // The same request, counted by /metrics under the same three labels (an empty door there is `none' here).
    const door = line.Door === 'none' ? '' : String(line.Door);
    expect(text).toContain(`shutter_http_requests_total{route="${line.Route}",door="${door}",status="${line.Status}"} 1`);
    // Bytes of the body the client receives, not of its base64 transport encoding.
    const result = results[index]!;
    expect(line.ResponseBytes).toBe(Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8').length);
  }
});

import { jest } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KafkaEventSink } from '../../core/adapters/aws/kafka-event-sink.js';
import { DiskOutbox } from '../../core/adapters/event-files/disk-outbox.js';
import { base64Path, createTestApp } from '../helpers/app.js';
import { testKafka, uniqueTopic } from '../helpers/events.js';
import { samplePhoto } from '../helpers/images.js';

test('/metrics answers Prometheus text with requests by route, door and status, and cache hits', async () => {
  const t = await createTestApp();
  await t.platform.storage.put('images', 'a.jpg', samplePhoto('coffee'));
  const first = await t.request('/20x20/a.jpg');
  expect(first.headers['X-Request-Id']).toMatch(/^[0-9a-f-]{36}$/);
  await t.request('/20x20/a.jpg', { headers: { 'if-none-match': first.headers.ETag! } });
  await t.request('/missing.jpg');
  const metrics = await t.request('/metrics');
  expect(metrics.status).toBe(200);
  expect(metrics.headers['Content-Type']).toMatch(/^text\/plain/);
  const text = metrics.bytes.toString();
  expect(text).toMatch(/shutter_http_requests_total\{route="image",door="Thumbor",status="200"\} [1-9]/);
  expect(text).toMatch(/shutter_http_requests_total\{route="image",door="",status="404"\} [1-9]/);
  expect(text).toMatch(/shutter_image_cache_hits_total\{kind="not-modified"\} [1-9]/);
  expect(text).toMatch(/shutter_http_request_duration_seconds_bucket\{le="0.001",route="image"\}/);
  expect(text).toMatch(/shutter_renders_in_flight 0/);
  expect(text).toMatch(/shutter_process_resident_memory_bytes/);
});

test('bytes out count streamed pass-through answers too (their Content-Length)', async () => {
  const t = await createTestApp();
  const photo = samplePhoto('coffee');
  await t.platform.storage.put('images', 'original.jpg', photo);
  const before = sample((await t.request('/metrics')).bytes.toString(), 'shutter_http_response_bytes_total{route="image"}');
  const answer = await t.request('/original.jpg');
  expect(answer.headers['Content-Length']).toBe(String(photo.length));
  expect(answer.bytes.equals(photo)).toBe(true);
  const after = sample((await t.request('/metrics')).bytes.toString(), 'shutter_http_response_bytes_total{route="image"}');
  expect(after - before).toBe(photo.length);
});

/** The value of one sample in Prometheus text, 0 when the series is absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test('analyzer time counts the analyses that ran, by analyzer and kind; an analysis cache hit is counted apart', async () => {
  const t = await createTestApp();
  await t.platform.storage.put('images', 'portrait.jpg', samplePhoto('astronaut'));
  const analyses = 'shutter_analyzer_duration_seconds_count{analyzer="libvips-attention",kind="subject"}';
  const hits = 'shutter_analyzer_cache_hits_total{kind="subjects"}';
  const before = (await t.request('/metrics')).bytes.toString();

  const first = await t.request(base64Path({ bucket: 'images', key: 'portrait.jpg', edits: { smartCrop: true, resize: { width: 24 } } }));
  expect(first.status).toBe(200);
  const afterFirst = (await t.request('/metrics')).bytes.toString();
  expect(sample(afterFirst, analyses)).toBe(sample(before, analyses) + 1);
  expect(sample(afterFirst, hits)).toBe(sample(before, hits));
  expect(sample(afterFirst, 'shutter_analyzer_duration_seconds_sum{analyzer="libvips-attention",kind="subject"}')).toBeGreaterThan(0);

  // Another size of the same source: a new render, but the subject comes from the analysis cache.
  const second = await t.request(base64Path({ bucket: 'images', key: 'portrait.jpg', edits: { smartCrop: true, resize: { width: 32 } } }));
  expect(second.status).toBe(200);
  const afterSecond = (await t.request('/metrics')).bytes.toString();
  expect(sample(afterSecond, analyses)).toBe(sample(before, analyses) + 1);
  expect(sample(afterSecond, hits)).toBe(sample(before, hits) + 1);
});

describe('event outbox depth', () => {
  // The unreachable broker makes the sink log failed sends (EMF lines) and dropped access records.
  beforeEach(() => {
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  test('grows as access records wait for a broker that is down, and falls to 0 once they are delivered', async () => {
    const outbox = await mkdtemp(path.join(tmpdir(), 'shutter-outbox-'));
    const topic = uniqueTopic('metrics');
    const t = await createTestApp({ KAFKA_BROKERS: '127.0.0.1:1', KAFKA_TOPIC: topic, EVENTS_OUTBOX_DIR: outbox, EVENTS_ACCESS_SAMPLE_RATE: '1' });
    await t.platform.storage.put('images', 'a.jpg', samplePhoto('coffee'));
    const depth = async () => sample((await t.request('/metrics')).bytes.toString(), 'shutter_event_outbox_depth');

    for (const width of [10, 20, 30]) expect((await t.request(`/${width}x${width}/a.jpg`)).status).toBe(200);
    // Access records are batched (DEFAULTS.accessBatchMs), then appended in the background: hand
    // the batch over, then wait until the three are on disk.
    await t.app.flush();
    const deadline = Date.now() + 30_000; // appends wait on a busy disk
    while ((await depth()) < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await depth()).toBe(3);
    await (t.platform.events as KafkaEventSink).close(100);
    expect(await depth()).toBe(0); // no outbox open in this process any more

    // Reopened, the outbox reads the three back (the gauge shows them); a sink that reaches the broker delivers them.
    const reopened = await DiskOutbox.open({ dir: outbox });
    expect(await depth()).toBe(3);
    const sink = new KafkaEventSink({ kafka: testKafka(), topic, outbox: reopened });
    try {
      await sink.flush();
      expect(sink.stats()).toMatchObject({ sent: 3, queued: 0 });
      expect(await depth()).toBe(0);
    } finally {
      await sink.close();
    }
  }, 90_000);
});

test('an error is counted under the route that answered it, not under a catch-all "error" route', async () => {
  const { createRouter, UNROUTED } = await import('../../api/router.js');
  const { NotFoundError } = await import('../../core/errors.js');
  const router = createRouter(
    [
      { name: 'widgets', method: 'GET', path: /^\/widgets\/(\w+)$/, handle: async (_, [id]) => Promise.reject(new NotFoundError('Widget::NotFound', `No widget ${id}.`)) },
      { name: 'gadgets', method: 'POST', path: '/gadgets', handle: async () => Promise.reject(new Error('broken')) },
    ],
    async () => Promise.reject(new Error('the image fallback is not called here')),
    { cors: { enabled: false, origin: '*' }, trustProxyHops: 0 },
  );
  const { registry } = await import('../../core/observability/prometheus.js');
  const count = async (series: string) => sample(await registry.metrics(), series);
  const before = {
    widgets: await count('shutter_http_requests_total{route="widgets",door="",status="404"}'),
    gadgets500: await count('shutter_http_requests_total{route="gadgets",door="",status="500"}'),
    gadgets405: await count('shutter_http_requests_total{route="gadgets",door="",status="405"}'),
    unrouted: await count(`shutter_http_requests_total{route="${UNROUTED}",door="",status="405"}`),
  };
  const request = (method: string, path: string) => router({ method, path, query: {}, headers: {} } as Parameters<typeof router>[0]);
  expect((await request('GET', '/widgets/7')).status).toBe(404);
  expect((await request('POST', '/gadgets')).status).toBe(500);
  expect((await request('DELETE', '/gadgets')).status).toBe(405);
  expect((await request('POST', '/nowhere')).status).toBe(405);
  expect(await count('shutter_http_requests_total{route="widgets",door="",status="404"}')).toBe(before.widgets + 1);
  expect(await count('shutter_http_requests_total{route="gadgets",door="",status="500"}')).toBe(before.gadgets500 + 1);
  expect(await count('shutter_http_requests_total{route="gadgets",door="",status="405"}')).toBe(before.gadgets405 + 1);
  expect(await count(`shutter_http_requests_total{route="${UNROUTED}",door="",status="405"}`)).toBe(before.unrouted + 1);
  expect(await registry.metrics()).not.toMatch(/route="error"/);
});

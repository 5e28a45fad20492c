import { createTestApp } from '../helpers/app.js';
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

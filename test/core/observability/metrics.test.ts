import { jest } from '@jest/globals';
import { registry } from '../../../core/observability/prometheus.js';
import { CounterMetric, GaugeMetric, HistogramMetric } from '../../../core/observability/metrics.js';

/** The value of one sample in Prometheus text, undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('recorders bound to prom-client', () => {
  // Made after prometheus.ts bound core's metrics, so each is bound here the way it binds them.
  test('keep records as plain numbers and hand them to prom-client only when the registry is read, with the same text', async () => {
    const { Counter, Histogram, Gauge } = await import('prom-client');
    const requests = new CounterMetric({ name: 'test_recorder_requests_total', help: 'x', labelNames: ['route', 'status'] as const });
    const duration = new HistogramMetric({ name: 'test_recorder_seconds', help: 'x', labelNames: ['route'] as const, buckets: [0.01, 0.1] });
    const depth = new GaugeMetric({ name: 'test_recorder_depth', help: 'x' });
    requests.backend = new Counter({ name: 'test_recorder_requests_total', help: 'x', labelNames: ['route', 'status'], registers: [registry], collect: () => requests.drain() });
    duration.backend = new Histogram({ name: 'test_recorder_seconds', help: 'x', labelNames: ['route'], buckets: [0.01, 0.1], registers: [registry], collect: () => duration.drain() });
    depth.backend = new Gauge({ name: 'test_recorder_depth', help: 'x', registers: [registry], collect: () => depth.drain() });
    const calls = [jest.spyOn(requests.backend, 'inc'), jest.spyOn(duration.backend, 'observe'), jest.spyOn(depth.backend, 'set')];

    for (let i = 0; i < 100; i++) {
      requests.inc({ route: 'image', status: '200' });
      requests.inc({ route: 'image', status: 404 }, 2);
      duration.observe({ route: 'image' }, i < 60 ? 0.005 : 0.05);
      depth.set(i);
    }
    requests.inc({ route: 'health' }, 0); // a series with no status label, at 0: it exists all the same
    // Nothing reached prom-client on the way (no label hashing per record).
    for (const call of calls) expect(call).not.toHaveBeenCalled();

    const text = await registry.metrics();
    expect(sample(text, 'test_recorder_requests_total{route="image",status="200"}')).toBe(100);
    expect(sample(text, 'test_recorder_requests_total{route="image",status="404"}')).toBe(200);
    expect(sample(text, 'test_recorder_requests_total{route="health"}')).toBe(0);
    expect(sample(text, 'test_recorder_seconds_bucket{le="0.01",route="image"}')).toBe(60);
    expect(sample(text, 'test_recorder_seconds_bucket{le="0.1",route="image"}')).toBe(100);
    expect(sample(text, 'test_recorder_seconds_count{route="image"}')).toBe(100);
    expect(sample(text, 'test_recorder_depth')).toBe(99); // the last value set
    expect(calls[0]).toHaveBeenCalledTimes(3); // one hand-over per series

    // Counted on from there, not twice.
    requests.inc({ route: 'image', status: '200' }, 5);
    expect(sample(await registry.metrics(), 'test_recorder_requests_total{route="image",status="200"}')).toBe(105);
  });

  test("a value prom-client refuses still throws at the record, as it always did", async () => {
    const { Counter, Histogram } = await import('prom-client');
    const count = new CounterMetric({ name: 'test_recorder_refused_total', help: 'x' });
    const seconds = new HistogramMetric({ name: 'test_recorder_refused_seconds', help: 'x' });
    count.backend = new Counter({ name: 'test_recorder_refused_total', help: 'x', registers: [registry], collect: () => count.drain() });
    seconds.backend = new Histogram({ name: 'test_recorder_refused_seconds', help: 'x', registers: [registry], collect: () => seconds.drain() });
    expect(() => count.inc({}, -1)).toThrow('It is not possible to decrease a counter');
    expect(() => seconds.observe({}, Number.POSITIVE_INFINITY)).toThrow(/not a valid number/);
  });

  test('a histogram nobody scrapes holds a bounded number of observations', async () => {
    const { Histogram } = await import('prom-client');
    const seconds = new HistogramMetric({ name: 'test_recorder_unscraped_seconds', help: 'x' });
    seconds.backend = new Histogram({ name: 'test_recorder_unscraped_seconds', help: 'x', registers: [registry], collect: () => seconds.drain() });
    const observe = jest.spyOn(seconds.backend, 'observe');
    for (let i = 0; i < 5000; i++) seconds.observe({}, 0.001);
    // Handed over in batches on the way, never more than one batch waiting.
    expect(observe.mock.calls.length).toBeGreaterThanOrEqual(5000 - 1024);
    expect(sample(await registry.metrics(), 'test_recorder_unscraped_seconds_count')).toBe(5000);
  });
});

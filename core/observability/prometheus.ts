/**
 * The Prometheus registry (prom-client) behind `/metrics`: importing this module backs every
 * metric of `metrics.ts` with prom-client's, so a process counts from the moment it loads it.
 * The local server imports it at start; the Lambdas never do (they report by EMF lines), unless
 * `/metrics` is asked of one, which then counts from that request on.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { METRICS, type MetricBackend, type MetricDefinition } from './metrics.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'shutter_' });

/** `drain`: what the recorder kept since the last read, handed over before the registry reads the metric. */
function promMetric({ kind, name, help, labelNames, buckets }: MetricDefinition, drain: () => void): MetricBackend {
  const common = { name, help, labelNames: [...labelNames], registers: [registry], collect: drain };
  if (kind === 'counter') return new Counter(common);
  if (kind === 'gauge') return new Gauge(common);
  return new Histogram({ ...common, ...(buckets ? { buckets: [...buckets] } : {}) });
}

for (const metric of METRICS) metric.backend = promMetric(metric.definition, () => metric.drain());

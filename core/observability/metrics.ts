/**
 * shutter's metrics, one list, so an operator finds them all in one place. Each capability
 * records into the metrics named here; this module holds only their definitions and light
 * recorders, not prom-client: a process that serves `/metrics` (the local server) loads
 * `prometheus.ts`, which backs every recorder with prom-client's metric of the same name. Until
 * then (and for good in Lambda, which reports by EMF lines and serves no registry) a record
 * costs a property check: prom-client (a quarter of sharp's load time) stays off the image
 * Lambda's cold start.
 */

/** Label values by label name. */
export type Labels<L extends string> = Partial<Record<L, string | number>>;

/** What prom-client needs to build a metric, known without loading prom-client. */
export interface MetricDefinition {
  kind: 'counter' | 'gauge' | 'histogram';
  name: string;
  help: string;
  labelNames: readonly string[];
  buckets?: readonly number[];
}

/** The operations of a prom-client Counter, Gauge or Histogram that shutter's recorders use. */
export interface MetricBackend {
  inc?(labels: Labels<string>, value: number): void;
  set?(labels: Labels<string>, value: number): void;
  observe?(labels: Labels<string>, value: number): void;
}

/** Observations a histogram keeps before handing them over at once, when no scrape came sooner. */
const MAX_WAITING_OBSERVATIONS = 1024;

/**
 * A metric as callers see it: its definition and the backend records go to, once one is bound.
 *
 * Once bound, a record is kept as plain numbers, by its label values, and handed to the backend
 * when the registry is read (`collect`, see `prometheus.ts`): prom-client hashes and checks a
 * record's labels at every call, which on the request path (three records per request, up to six gauge
 * changes per render) cost a small render's main thread measurably, in cold code between two
 * renders (bench/README.md, "Session 7: small images at 8 in flight"). Handed over together, they
 * run hot, and the text a scrape reads is the same. A value prom-client would refuse (a negative
 * count, a non-finite number) still goes to it at once, so it throws where it always did.
 */
abstract class Recorder<W> {
  backend: MetricBackend | undefined;
  /** Records since the registry was last read, by their labels' values. */
  protected readonly waiting = new Map<string, W>();
  constructor(readonly definition: MetricDefinition) {
    METRICS.push(this as Recorder<unknown>);
  }
  /** Hands what is waiting to the backend: the registry calls it before it reads the metric. */
  abstract drain(): void;
  /** A key per set of label values; an absent label is not an empty one, as for prom-client. */
  protected keyOf(labels: Labels<string>): string {
    let key = '';
    for (const name of this.definition.labelNames) {
      const value = labels[name];
      key += value === undefined ? '\u0001' : `${value}\u0000`;
    }
    return key;
  }
}

/** Every metric defined here, in definition order (`prometheus.ts` binds each one). */
export const METRICS: Array<Recorder<unknown>> = [];

interface Count {
  labels: Labels<string>;
  value: number;
}

export class CounterMetric<L extends string = never> extends Recorder<Count> {
  constructor(definition: Omit<MetricDefinition, 'kind' | 'labelNames'> & { labelNames?: readonly L[] }) {
    super({ kind: 'counter', labelNames: [], ...definition });
  }
  inc(labels: Labels<L> = {}, value = 1): void {
    const backend = this.backend;
    if (!backend) return;
    if (!(value >= 0 && value < Infinity)) return backend.inc!(labels, value);
    const key = this.keyOf(labels);
    const count = this.waiting.get(key);
    if (count) count.value += value;
    else this.waiting.set(key, { labels, value });
  }
  drain(): void {
    for (const { labels, value } of this.waiting.values()) this.backend?.inc!(labels, value);
    this.waiting.clear();
  }
}

export class GaugeMetric<L extends string = never> extends Recorder<Count> {
  constructor(definition: Omit<MetricDefinition, 'kind' | 'labelNames'> & { labelNames?: readonly L[] }) {
    super({ kind: 'gauge', labelNames: [], ...definition });
  }
  /** `set(value)` for a gauge without labels, `set(labels, value)` for one with. */
  set(labelsOrValue: Labels<L> | number, value?: number): void {
    const backend = this.backend;
    if (!backend) return;
    const [labels, to] = typeof labelsOrValue === 'number' ? [{}, labelsOrValue] : [labelsOrValue, value!];
    if (typeof to !== 'number') return backend.set!(labels, to);
    // The last value set is the gauge's, as prom-client keeps it.
    const key = this.keyOf(labels);
    const last = this.waiting.get(key);
    if (last) last.value = to;
    else this.waiting.set(key, { labels, value: to });
  }
  drain(): void {
    for (const { labels, value } of this.waiting.values()) this.backend?.set!(labels, value);
    this.waiting.clear();
  }
}

interface Observations {
  labels: Labels<string>;
  values: number[];
}

export class HistogramMetric<L extends string = never> extends Recorder<Observations> {
  private observations = 0;
  constructor(definition: Omit<MetricDefinition, 'kind' | 'labelNames'> & { labelNames?: readonly L[] }) {
    super({ kind: 'histogram', labelNames: [], ...definition });
  }
  observe(labels: Labels<L>, value: number): void {
    const backend = this.backend;
    if (!backend) return;
    if (!Number.isFinite(value)) return backend.observe!(labels, value);
    const key = this.keyOf(labels);
    const waiting = this.waiting.get(key);
    if (waiting) waiting.values.push(value);
    else this.waiting.set(key, { labels, values: [value] });
    // Bounded when nothing scrapes: what waits goes over together, hot, like a scrape's.
    if (++this.observations >= MAX_WAITING_OBSERVATIONS) this.drain();
  }
  drain(): void {
    for (const { labels, values } of this.waiting.values()) for (const value of values) this.backend?.observe!(labels, value);
    this.waiting.clear();
    this.observations = 0;
  }
}

export const httpRequests = new CounterMetric({
  name: 'shutter_http_requests_total',
  help: 'HTTP requests answered, by route, door and status.',
  labelNames: ['route', 'door', 'status'] as const,
});

export const httpDuration = new HistogramMetric({
  name: 'shutter_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by route.',
  labelNames: ['route'] as const,
  // From a 304 (sub-millisecond) to an AVIF encode of a large photo.
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
});

export const httpBytesOut = new CounterMetric({
  name: 'shutter_http_response_bytes_total',
  help: 'Bytes of response bodies sent, by route.',
  labelNames: ['route'] as const,
});

export const imageCacheHits = new CounterMetric({
  name: 'shutter_image_cache_hits_total',
  help: 'Image answers served without rendering, by kind (not-modified, result-cache, pass-through).',
  labelNames: ['kind'] as const,
});

export const rendersInFlight = new GaugeMetric({
  name: 'shutter_renders_in_flight',
  help: 'Images being rendered right now.',
});

export const renderQueueDepth = new GaugeMetric({
  name: 'shutter_render_queue_depth',
  help: 'Renders waiting for a free slot.',
});

export const analyzerDuration = new HistogramMetric({
  name: 'shutter_analyzer_duration_seconds',
  help: 'Time of image analyses that ran (cache hits excluded), by analyzer and kind (faces, moderation, subject).',
  labelNames: ['analyzer', 'kind'] as const,
  // From libvips attention on a thumbnail (~10 ms) to a first local model load or a throttled Rekognition call.
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

export const analyzerCacheHits = new CounterMetric({
  name: 'shutter_analyzer_cache_hits_total',
  help: 'Analyses answered from the analysis cache instead of running, by kind (moderation, subjects).',
  labelNames: ['kind'] as const,
});

/** What an analysis looked for: `faces` and `subject` are the two halves of a smart crop. */
export type AnalysisKind = 'faces' | 'moderation' | 'subject';

/**
 * Records one analysis that ran, where it ran (the adapters), so the analysis cache's hits never
 * count as analysis time: the cache counts those in {@link analyzerCacheHits}.
 */
export function recordAnalysis(analyzer: string, kind: AnalysisKind, ms: number): void {
  analyzerDuration.observe({ analyzer, kind }, ms / 1000);
}

export const workflowExecutions = new GaugeMetric({
  name: 'shutter_workflow_executions',
  help: 'Workflow executions, by status.',
  labelNames: ['status'] as const,
});

export const workflowQueueDepth = new GaugeMetric({
  name: 'shutter_workflow_queue_depth',
  help: 'Uploads accepted and waiting to start an execution.',
});

export const eventOutboxDepth = new GaugeMetric({
  name: 'shutter_event_outbox_depth',
  help: 'Events waiting in the disk outbox for the broker (all open outboxes of the process).',
});

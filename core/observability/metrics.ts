/**
 * Prometheus metrics (prom-client), one registry per process, served at `/metrics`. Each
 * capability records into the metrics named here, so an operator finds them all in one list.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'shutter_' });

export const httpRequests = new Counter({
  name: 'shutter_http_requests_total',
  help: 'HTTP requests answered, by route, door and status.',
  labelNames: ['route', 'door', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'shutter_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by route.',
  labelNames: ['route'] as const,
  // From a 304 (sub-millisecond) to an AVIF encode of a large photo.
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
  registers: [registry],
});

export const httpBytesOut = new Counter({
  name: 'shutter_http_response_bytes_total',
  help: 'Bytes of response bodies sent, by route.',
  labelNames: ['route'] as const,
  registers: [registry],
});

export const imageCacheHits = new Counter({
  name: 'shutter_image_cache_hits_total',
  help: 'Image answers served without rendering, by kind (not-modified, result-cache, pass-through).',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const rendersInFlight = new Gauge({
  name: 'shutter_renders_in_flight',
  help: 'Images being rendered right now.',
  registers: [registry],
});

export const renderQueueDepth = new Gauge({
  name: 'shutter_render_queue_depth',
  help: 'Renders waiting for a free slot.',
  registers: [registry],
});

export const analyzerDuration = new Histogram({
  name: 'shutter_analyzer_duration_seconds',
  help: 'Time of image analyses that ran (cache hits excluded), by analyzer and kind (faces, moderation, subject).',
  labelNames: ['analyzer', 'kind'] as const,
  // From libvips attention on a thumbnail (~10 ms) to a first local model load or a throttled Rekognition call.
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const analyzerCacheHits = new Counter({
  name: 'shutter_analyzer_cache_hits_total',
  help: 'Analyses answered from the analysis cache instead of running, by kind (moderation, subjects).',
  labelNames: ['kind'] as const,
  registers: [registry],
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

export const workflowExecutions = new Gauge({
  name: 'shutter_workflow_executions',
  help: 'Workflow executions, by status.',
  labelNames: ['status'] as const,
  registers: [registry],
});

export const workflowQueueDepth = new Gauge({
  name: 'shutter_workflow_queue_depth',
  help: 'Uploads accepted and waiting to start an execution.',
  registers: [registry],
});

export const eventOutboxDepth = new Gauge({
  name: 'shutter_event_outbox_depth',
  help: 'Events waiting in the disk outbox for the broker (all open outboxes of the process).',
  registers: [registry],
});

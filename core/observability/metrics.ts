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
  help: 'Time spent in image analysis, by analyzer and operation.',
  labelNames: ['analyzer', 'operation'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

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
  help: 'Events buffered on disk, waiting for the broker.',
  registers: [registry],
});

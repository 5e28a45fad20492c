/**
 * CloudWatch embedded metric format: inside Lambda, a JSON log line per request that CloudWatch
 * turns into metrics without an API call (no PutMetricData latency on the hot path).
 *
 * The dimensions mirror `/metrics` (`shutter_http_requests_total{route,door,status}`): `Route`,
 * `Door` (`none` where /metrics has an empty door: CloudWatch refuses empty values) and `Status`,
 * rolled up by route and by route and door, plus `StatusClass` (2xx…5xx) for error-rate alarms.
 */
import { METRIC_NAMESPACE } from './metric-log.js';

export function emfLine(fields: { route: string; door: string; status: number; latencyMs: number; bytes: number }, now = Date.now()): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [['Route'], ['Route', 'Door'], ['Route', 'Door', 'Status'], ['StatusClass']],
          Metrics: [
            { Name: 'Requests', Unit: 'Count' },
            { Name: 'Latency', Unit: 'Milliseconds' },
            { Name: 'ResponseBytes', Unit: 'Bytes' },
          ],
        },
      ],
    },
    Route: fields.route,
    Door: fields.door || 'none',
    Status: String(fields.status),
    StatusClass: `${Math.floor(fields.status / 100)}xx`,
    Requests: 1,
    Latency: fields.latencyMs,
    ResponseBytes: fields.bytes,
  });
}

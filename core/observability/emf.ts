/**
 * CloudWatch embedded metric format: inside Lambda, a JSON log line per request that CloudWatch
 * turns into metrics without an API call (no PutMetricData latency on the hot path).
 */
export function emfLine(fields: { route: string; door: string; status: number; latencyMs: number; bytes: number }, now = Date.now()): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: 'Shutter',
          Dimensions: [['Route'], ['Route', 'Door'], ['StatusClass']],
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
    StatusClass: `${Math.floor(fields.status / 100)}xx`,
    Status: fields.status,
    Requests: 1,
    Latency: fields.latencyMs,
    ResponseBytes: fields.bytes,
  });
}

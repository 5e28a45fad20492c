/**
 * Metrics as log lines in CloudWatch's Embedded Metric Format: in Lambda each line becomes a
 * CloudWatch metric (alarms need no agent and no SDK call); locally it is a readable JSON log
 * line. Counters a process keeps for itself live with their owner (e.g. the outbox's `stats()`).
 */
/** One CloudWatch namespace for every metric shutter writes (these alarms and the request metrics of `observability/emf.ts`). */
export const METRIC_NAMESPACE = 'Shutter';

export function logMetric(
  name: string,
  value: number,
  fields: Record<string, unknown> = {},
  options: { level?: 'info' | 'warn' | 'error'; msg?: string; unit?: 'Count' | 'Bytes' | 'Milliseconds' } = {},
): void {
  const line = {
    level: options.level ?? 'info',
    time: new Date().toISOString(),
    msg: options.msg ?? name,
    ...fields,
    [name]: value,
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: name, Unit: options.unit ?? 'Count' }] }],
    },
  };
  const text = JSON.stringify(line);
  if (line.level === 'info') console.log(text);
  else console.error(text);
}

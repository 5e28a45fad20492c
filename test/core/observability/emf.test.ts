import { emfLine } from '../../../core/observability/emf.js';

test('an embedded-metric-format line CloudWatch can read', () => {
  const line = JSON.parse(emfLine({ route: 'image', door: 'Thumbor', status: 200, latencyMs: 12.5, bytes: 2048 }, 1795809600000));
  expect(line._aws.Timestamp).toBe(1795809600000);
  const [directive] = line._aws.CloudWatchMetrics;
  expect(directive.Namespace).toBe('Shutter');
  // Every dimension and metric named in the directive is a top-level field of the line; dimension values are strings.
  for (const dimensions of directive.Dimensions) for (const name of dimensions) expect(typeof line[name]).toBe('string');
  // /metrics counts requests by route, door and status: CloudWatch gets the same set.
  expect(directive.Dimensions).toContainEqual(['Route', 'Door', 'Status']);
  for (const metric of directive.Metrics) expect(typeof line[metric.Name]).toBe('number');
  expect(line).toMatchObject({ Route: 'image', Door: 'Thumbor', Status: '200', StatusClass: '2xx', Latency: 12.5, ResponseBytes: 2048 });
});

/** The workflow gauges of /metrics follow the engine's history. */
import { registry } from '../../core/observability/prometheus.js';
import { reportWorkflowMetrics } from '../../workflows/workflow-metrics.js';

test('executions by status and the queue depth, from the store', async () => {
  const counts: Record<string, number> = { QUEUED: 3, RUNNING: 2, SUCCEEDED: 10 };
  const stop = reportWorkflowMetrics({ counts: () => counts }, 60_000);
  const text = await registry.metrics();
  stop();
  expect(text).toContain('shutter_workflow_executions{status="QUEUED"} 3');
  expect(text).toContain('shutter_workflow_executions{status="SUCCEEDED"} 10');
  expect(text).toContain('shutter_workflow_executions{status="FAILED"} 0');
  expect(text).toContain('shutter_workflow_queue_depth 3');
});

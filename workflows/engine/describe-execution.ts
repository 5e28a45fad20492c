/** A stored execution as ListExecutions and DescribeExecution answer it. */
import type { ExecutionDescription, ExecutionSummary } from '../../core/ports/workflow-engine.js';
import type { ExecutionRow } from './sqlite-execution-store.js';

export function summarizeExecution(row: ExecutionRow): ExecutionSummary {
  return {
    executionArn: row.arn,
    name: row.name,
    workflow: row.workflow,
    status: row.status,
    startDate: new Date(row.start_ms).toISOString(),
    ...(row.stop_ms ? { stopDate: new Date(row.stop_ms).toISOString() } : {}),
    redriveCount: row.redrive_count,
  };
}

export function describeExecution(row: ExecutionRow): ExecutionDescription {
  return {
    ...summarizeExecution(row),
    input: JSON.parse(row.input),
    ...(row.output !== null ? { output: JSON.parse(row.output) } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.cause !== null ? { cause: row.cause } : {}),
  };
}

/**
 * The WorkflowEngine on AWS Step Functions: the same calls as the local engine, answered by
 * StartExecution, DescribeExecution, ListExecutions, GetExecutionHistory, RedriveExecution,
 * StopExecution and SendTaskSuccess/Failure.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type ExecutionListItem,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { executionArnOf, stateMachineArn } from './sfn-arns.js';
import { NotFoundError, RequestError, TransientError } from '../../errors.js';
import { WORKFLOW } from '../../limits.js';
import type {
  ExecutionDescription,
  ExecutionStatus,
  ExecutionSummary,
  HistoryEvent,
  ListOptions,
  StartResult,
  WorkflowEngine,
} from '../../ports/workflow-engine.js';

export class SfnWorkflowEngine implements WorkflowEngine {
  constructor(
    private readonly client: SFNClient,
    /** State machine ARNs by workflow name (`image`, `backfill`). */
    private readonly stateMachines: Record<string, string | undefined>,
  ) {}

  private machineArn(workflow: string): string {
    return stateMachineArn(this.stateMachines, workflow);
  }

  private workflowOf(executionArn: string): string {
    const machineName = executionArn.split(':')[6];
    const found = Object.entries(this.stateMachines).find(([, arn]) => arn?.split(':')[6] === machineName);
    return found?.[0] ?? machineName ?? 'unknown';
  }

  executionArn(workflow: string, name: string): string {
    return executionArnOf(this.stateMachines, workflow, name);
  }

  async start(workflow: string, options: { name: string; input: unknown }): Promise<StartResult> {
    const stateMachineArn = this.machineArn(workflow);
    try {
      const result = await this.client.send(new StartExecutionCommand({ stateMachineArn, name: options.name, input: JSON.stringify(options.input ?? {}) }));
      return { executionArn: result.executionArn!, startDate: result.startDate!.toISOString(), existing: false };
    } catch (error) {
      // Step Functions refuses a name used before (with another input, or after it ended): that is our dedupe.
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw mapError(error);
      const executionArn = this.executionArn(workflow, options.name);
      const existing = await this.describe(executionArn);
      return { executionArn, startDate: existing.startDate, existing: true };
    }
  }

  async describe(executionArn: string): Promise<ExecutionDescription> {
    const result = await this.client.send(new DescribeExecutionCommand({ executionArn })).catch((error: unknown) => {
      throw mapError(error);
    });
    return {
      executionArn,
      name: result.name!,
      workflow: this.workflowOf(executionArn),
      status: result.status as ExecutionStatus,
      startDate: result.startDate!.toISOString(),
      ...(result.stopDate ? { stopDate: result.stopDate.toISOString() } : {}),
      redriveCount: result.redriveCount ?? 0,
      input: result.input ? JSON.parse(result.input) : undefined,
      ...(result.output ? { output: JSON.parse(result.output) } : {}),
      ...(result.error ? { error: result.error } : {}),
      ...(result.cause ? { cause: result.cause } : {}),
    };
  }

  async list(options: ListOptions = {}): Promise<{ executions: ExecutionSummary[]; cursor?: string }> {
    const workflow = options.workflow ?? 'image';
    const limit = Math.min(Math.max(1, options.limit ?? 100), WORKFLOW.maxListLimit);
    if (options.status === 'QUEUED') return { executions: [] }; // Step Functions has no queue
    const executions: ExecutionSummary[] = [];
    let nextToken = options.cursor;
    // ListExecutions has no name filter: page until the prefix has filled a page (bounded by the caller's limit).
    do {
      const page = await this.client
        .send(
          new ListExecutionsCommand({
            stateMachineArn: this.machineArn(workflow),
            ...(options.status ? { statusFilter: options.status as never } : {}),
            maxResults: limit,
            ...(nextToken ? { nextToken } : {}),
          }),
        )
        .catch((error: unknown) => {
          throw mapError(error);
        });
      for (const item of page.executions ?? []) {
        if (!options.prefix || item.name?.startsWith(options.prefix)) executions.push(summarize(item, workflow));
      }
      nextToken = page.nextToken;
    } while (nextToken && executions.length < limit && options.prefix);
    return { executions: executions.slice(0, limit), ...(nextToken ? { cursor: nextToken } : {}) };
  }

  async history(executionArn: string, options: { limit?: number; cursor?: string; reverse?: boolean } = {}): Promise<{ events: HistoryEvent[]; cursor?: string }> {
    const result = await this.client
      .send(
        new GetExecutionHistoryCommand({
          executionArn,
          maxResults: Math.min(Math.max(1, options.limit ?? 1000), 1000),
          reverseOrder: !!options.reverse,
          ...(options.cursor ? { nextToken: options.cursor } : {}),
        }),
      )
      .catch((error: unknown) => {
        throw mapError(error);
      });
    const events = (result.events ?? []).map((event) => {
      const { timestamp, id, previousEventId, type, ...details } = event;
      return { id: id ?? 0, previousEventId: previousEventId ?? 0, timestamp: timestamp!.toISOString(), type: type!, ...details } as HistoryEvent;
    });
    return { events, ...(result.nextToken ? { cursor: result.nextToken } : {}) };
  }

  async redrive(executionArn: string): Promise<{ redriveDate: string }> {
    const result = await this.client.send(new RedriveExecutionCommand({ executionArn })).catch((error: unknown) => {
      throw mapError(error);
    });
    return { redriveDate: result.redriveDate!.toISOString() };
  }

  async stop(executionArn: string, options: { error?: string; cause?: string } = {}): Promise<{ stopDate: string }> {
    const result = await this.client.send(new StopExecutionCommand({ executionArn, ...options })).catch((error: unknown) => {
      throw mapError(error);
    });
    return { stopDate: result.stopDate!.toISOString() };
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output ?? {}) })).catch((error: unknown) => {
      throw mapError(error);
    });
  }

  async sendTaskFailure(taskToken: string, options: { error: string; cause?: string }): Promise<void> {
    await this.client.send(new SendTaskFailureCommand({ taskToken, ...options })).catch((error: unknown) => {
      throw mapError(error);
    });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function summarize(item: ExecutionListItem, workflow: string): ExecutionSummary {
  return {
    executionArn: item.executionArn!,
    name: item.name!,
    workflow,
    status: item.status as ExecutionStatus,
    startDate: item.startDate!.toISOString(),
    ...(item.stopDate ? { stopDate: item.stopDate.toISOString() } : {}),
    redriveCount: item.redriveCount ?? 0,
  };
}

/** Step Functions' errors (by their names, as the SDK sets them) in shutter's vocabulary. */
function mapError(error: unknown): Error {
  const { name, message } = error as Error;
  if (name === 'ExecutionDoesNotExist') return new NotFoundError('ExecutionDoesNotExist', message, { cause: error });
  if (name === 'TaskDoesNotExist' || name === 'InvalidToken' || name === 'TaskTimedOut') {
    return new NotFoundError('TaskDoesNotExist', 'No task is waiting for this token (unknown, timed out, or decided already).', { cause: error });
  }
  if (name === 'ExecutionNotRedrivable') return new RequestError('ExecutionNotRedrivable', message, 409, { cause: error });
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'ThrottlingException' || status === undefined || status >= 500 || status === 429) {
    return new TransientError('StepFunctions::Unavailable', `Step Functions did not answer: ${(error as Error).message}`, 503, { cause: error });
  }
  return new RequestError('StepFunctions::Refused', (error as Error).message, status, { cause: error });
}

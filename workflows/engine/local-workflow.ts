/** What a caller gives the local engine: the definitions to run and the functions their Task states invoke. */
import type { ExecutionStatus } from '../../core/ports/workflow-engine.js';

/** A Lambda function run in process: gets the payload, returns the result (JSON-serialisable). */
export type LocalFunction = (payload: unknown, invocation: Invocation) => Promise<unknown>;

export interface Invocation {
  executionArn: string;
  executionName: string;
  stateName: string;
  /** Aborted when the execution is stopped or the engine shuts down. */
  signal: AbortSignal;
}

export interface LocalWorkflow {
  /** The ASL definition, with every CloudFormation token already resolved. */
  definition: object;
  /** Functions by the name the definition's Task states invoke. */
  functions: Record<string, LocalFunction>;
  /**
   * The definition is one of shutter's own, which the tests validate (test/workflows/asl-definitions.test.ts):
   * the engine skips the ASL validator, whose JSON-schema compilation costs ~16 MB of resident memory
   * for the process's life and ~100 ms at start. Any other definition is validated. @default false
   */
  validated?: boolean;
}

/** What the engine's `settled` event carries whenever an execution ends in this process. */
export interface ExecutionSettled {
  executionArn: string;
  name: string;
  workflow: string;
  status: ExecutionStatus;
}

/**
 * Step Functions ARNs from the configured state machines, without the SDK: the composition root
 * answers `executionArn` before the Step Functions client is loaded (on first use).
 */
import { NotFoundError } from '../../errors.js';

/** State machine ARNs by workflow name (`image`, `backfill`). */
export type StateMachineArns = Readonly<Record<string, string | undefined>>;

export function stateMachineArn(stateMachines: StateMachineArns, workflow: string): string {
  const arn = stateMachines[workflow];
  if (!arn) throw new NotFoundError('StateMachineDoesNotExist', `No state machine is configured for the "${workflow}" workflow.`);
  return arn;
}

/** The ARN Step Functions gives the execution `name` of `workflow` (names are our dedupe key). */
export function executionArnOf(stateMachines: StateMachineArns, workflow: string, name: string): string {
  return `${stateMachineArn(stateMachines, workflow).replace(':stateMachine:', ':execution:')}:${name}`;
}

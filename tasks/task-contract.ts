/**
 * The task ↔ state contract, defined once: for each task (`task-names.ts`), the schema of its
 * input (checked by its handler), the type of its output, and the state that runs it. The
 * schemas and output types live in each task's file, next to the code that reads them; this
 * catalog gathers them by name (types only, so a state machine definition that uses it does not
 * load the tasks' code) for everything that must agree with the tasks:
 *
 * - the CDK definitions (`workflows/*.ts`): a Task state's payload is typed by its task's input,
 *   its state name comes from `TASK_STATES`;
 * - the local binding (`workflows/local-runtime.ts`): one handler per name, under that name;
 * - the infra (`infra/workflow-tasks.ts`): each task's access, by name;
 * - the events (`workflow-event.ts`): the failure event names the state of the task that failed.
 *
 * Every one of them is a `Record<TaskName, …>` or typed by {@link TaskContracts}, so adding a task
 * (or a state that runs a new task) does not compile until all of them agree.
 */
import type { z } from 'zod';
import type { HandleFailureInput, HandleFailureOutput } from './handle-failure.js';
import type { InspectInput, InspectOutput } from './inspect.js';
import type { ListUploadsInput, ListUploadsOutput } from './list-uploads.js';
import type { ModerateInput, ModerateOutput } from './moderate.js';
import type { PublishInput, PublishOutput } from './publish.js';
import type { QuarantineInput, QuarantineOutput } from './quarantine.js';
import type { RenderRenditionsInput, RenderRenditionsOutput } from './render-renditions.js';
import type { SmartCropInput, SmartCropOutput } from './smart-crop.js';
import type { StartImageWorkflowInput, StartImageWorkflowOutput } from './start-image-workflow.js';
import type { TaskName } from './task-names.js';

interface Contract<S extends z.ZodType, O> {
  input: S;
  output: O;
}

/** Each task's input schema and output type, by name. */
export interface TaskContracts {
  inspect: Contract<typeof InspectInput, InspectOutput>;
  moderate: Contract<typeof ModerateInput, ModerateOutput>;
  quarantine: Contract<typeof QuarantineInput, QuarantineOutput>;
  'smart-crop': Contract<typeof SmartCropInput, SmartCropOutput>;
  'render-renditions': Contract<typeof RenderRenditionsInput, RenderRenditionsOutput>;
  publish: Contract<typeof PublishInput, PublishOutput>;
  'handle-failure': Contract<typeof HandleFailureInput, HandleFailureOutput>;
  'list-uploads': Contract<typeof ListUploadsInput, ListUploadsOutput>;
  'start-image-workflow': Contract<typeof StartImageWorkflowInput, StartImageWorkflowOutput>;
}

// The catalog covers exactly the task names: a name without a contract, or a contract without a name, fails here.
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;
type Assert<T extends true> = T;
export type _EveryTaskHasAContract = Assert<SameKeys<TaskContracts, Record<TaskName, unknown>>>;

/** A task's input schema. */
export type TaskSchema<N extends TaskName> = TaskContracts[N]['input'];
/** What a task's `run` receives: its input once validated (defaults applied). */
export type TaskInput<N extends TaskName> = z.output<TaskSchema<N>>;
/** What a state may send a task: its input before validation. */
export type TaskPayload<N extends TaskName> = z.input<TaskSchema<N>>;
export type TaskOutput<N extends TaskName> = TaskContracts[N]['output'];
/**
 * A Task state's payload for a task: every field of its input (required ones required), each a
 * value or a JsonPath placeholder, which CDK renders as `<field>.$`.
 */
export type TaskParameters<N extends TaskName> = { [K in keyof TaskPayload<N>]: unknown };

/**
 * The state that runs each task, as the definitions name it. The failure event reports it
 * (`image.workflow.failed`'s `state`); `quarantine` also runs in `QuarantineAndAwaitDecision`,
 * reported as `Quarantine`.
 */
export const TASK_STATES = {
  inspect: 'Inspect',
  moderate: 'Moderate',
  quarantine: 'Quarantine',
  'smart-crop': 'SmartCrop',
  'render-renditions': 'RenderRendition',
  publish: 'Publish',
  'handle-failure': 'HandleFailure',
  'list-uploads': 'ListUploads',
  'start-image-workflow': 'StartImageWorkflow',
} as const satisfies Record<TaskName, string>;

/**
 * The bulk workflow as the stack deploys it: each task function's access (the one place where a
 * task's permissions are decided) and the state machines, built by the workflows' own definition
 * builders in `workflows/` — the same definitions the local engine runs as ASL.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { manifestKey } from '../core/renditions.js';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import {
  backfillWorkflowDefinition,
  backfillWorkflowTasks,
  type BackfillMode,
} from '../workflows/backfill-workflow.js';
import { imageWorkflowDefinition, IMAGE_WORKFLOW_TASKS } from '../workflows/image-workflow.js';
import type { TaskName } from '../tasks/task-names.js';
import type { ImageStorage } from './image-storage.js';
import type { WorkflowTaskFunctions, WorkflowTaskSpec } from './image-workflows.js';

/** The state machine an upload starts: the image workflow. */
export const IMAGE_STATE_MACHINE = 'process';
/** The state machine that runs the image workflow for every upload under a prefix. */
export const BACKFILL_STATE_MACHINE = 'backfill';
/** The task EventBridge invokes with each upload's `Object Created` event. */
export const UPLOAD_TRIGGER_TASK = 'start-image-workflow' satisfies TaskName;

export interface WorkflowTaskOptions {
  /** The backfill's mode, or false for no backfill state machine. */
  backfill: BackfillMode | false;
}

/**
 * Every task of the image workflow and what it may touch (DESIGN.md, "The bulk workflow"):
 * what each handler in `tasks/` reads, writes and calls, nothing more. No task reads a secret.
 * Each task is listed (a `Record<TaskName, …>`: a new task does not compile without its access);
 * those the deployed state machines never invoke are left out.
 */
export function workflowTasks(storage: ImageStorage, options: WorkflowTaskOptions): Partial<Record<TaskName, WorkflowTaskSpec>> {
  const uploads = { bucket: storage.uploads };
  // Manifests sit next to the renditions of their source (`<key>/manifest.json`), so publish
  // writes anywhere in the renditions bucket, like render-renditions.
  const renditions = { bucket: storage.renditions };
  const backfillTasks: readonly TaskName[] = options.backfill ? backfillWorkflowTasks(options.backfill) : [];
  const access: Record<TaskName, WorkflowTaskSpec> = {
    inspect: { description: 'type, size, pixel limits, content hash', read: [uploads] },
    moderate: {
      description: 'moderation labels (Rekognition)',
      read: [uploads],
      rekognition: ['rekognition:DetectModerationLabels'],
      environment: { ANALYZER: 'rekognition' },
    },
    quarantine: {
      description: 'copies a flagged image (and its pending review) to the quarantine bucket',
      read: [uploads],
      write: [{ bucket: storage.quarantine }],
      publishesEvents: true,
    },
    'smart-crop': {
      description: 'focal point from the faces Rekognition finds',
      read: [uploads],
      rekognition: ['rekognition:DetectFaces'],
      environment: { ANALYZER: 'rekognition' },
    },
    'render-renditions': {
      description: 'one preset of the rendition set, in each of its formats',
      read: [uploads],
      write: [renditions],
      // A 12 MP decode plus an AVIF encode: sharp needs the memory, and CPU scales with it.
      memorySize: 2048,
      timeout: Duration.minutes(5),
    },
    publish: {
      description: `manifest (${manifestKey('<key>')}) to S3, completion events to Kafka`,
      write: [renditions],
      publishesEvents: true,
      memorySize: 512,
    },
    'handle-failure': {
      description: 'failure event for an execution that could not finish',
      publishesEvents: true,
      memorySize: 512,
    },
    // The upload trigger, and the backfill's per-object step. It reads an object only when the
    // event carries no ETag (HeadObject is authorised by s3:GetObject).
    [UPLOAD_TRIGGER_TASK]: {
      description: 'starts the image workflow for one uploaded object, named after bucket/key/ETag',
      read: [uploads],
      startsExecutions: true,
      memorySize: 512,
      timeout: Duration.seconds(30),
    },
    'list-uploads': {
      description: 'one page of the uploads under a prefix (inline backfill)',
      read: [uploads],
      memorySize: 512,
      timeout: Duration.seconds(30),
    },
  };
  // The image workflow's tasks, the upload trigger, and what the backfill's mode invokes.
  const deployed = new Set<TaskName>([...IMAGE_WORKFLOW_TASKS, UPLOAD_TRIGGER_TASK, ...backfillTasks]);
  return Object.fromEntries(Object.entries(access).filter(([name]) => deployed.has(name as TaskName)));
}

/** The image workflow's definition over the deployed task functions. */
export function imageStateMachine(scope: Construct, fns: WorkflowTaskFunctions): sfn.IChainable {
  return imageWorkflowDefinition(scope, { functions: pick(fns, IMAGE_WORKFLOW_TASKS) });
}

/**
 * The backfill's definition over the deployed task functions; its Distributed Map may list only
 * `listBuckets` (the uploads bucket: the only one the image workflow's tasks can read).
 */
export function backfillStateMachine(mode: BackfillMode, listBuckets: readonly s3.IBucket[]) {
  return (scope: Construct, fns: WorkflowTaskFunctions): sfn.IChainable =>
    backfillWorkflowDefinition(scope, { mode, listBuckets, functions: pick(fns, backfillWorkflowTasks(mode)) });
}

function pick<T extends string>(fns: WorkflowTaskFunctions, names: readonly T[]): Record<T, lambda.IFunction> {
  return Object.fromEntries(
    names.map((name) => {
      const fn = fns[name];
      if (!fn) throw new Error(`The workflow needs a "${name}" task function`);
      return [name, fn];
    }),
  ) as Record<T, lambda.IFunction>;
}

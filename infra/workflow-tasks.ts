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
import { imageWorkflowDefinition, IMAGE_WORKFLOW_TASKS, type ImageWorkflowTask } from '../workflows/image-workflow.js';
import type { ImageStorage } from './image-storage.js';
import type { WorkflowTaskFunctions, WorkflowTaskSpec } from './image-workflows.js';

/** The state machine an upload starts: the image workflow. */
export const IMAGE_STATE_MACHINE = 'process';

/**
 * Every task of the image workflow and what it may touch (DESIGN.md, "The bulk workflow"):
 * what each handler in `tasks/` reads, writes and calls, nothing more. No task reads a secret.
 */
export function workflowTasks(
  storage: ImageStorage,
  options: { events: boolean },
): Record<ImageWorkflowTask, WorkflowTaskSpec> {
  const uploads = { bucket: storage.uploads };
  // Manifests sit next to the renditions of their source (`<key>/manifest.json`), so publish
  // writes anywhere in the renditions bucket, like render-renditions.
  const renditions = { bucket: storage.renditions };
  return {
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
      publishesEvents: options.events,
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
      publishesEvents: options.events,
      memorySize: 512,
    },
    'handle-failure': {
      description: 'failure event for an execution that could not finish',
      publishesEvents: options.events,
      memorySize: 512,
    },
  };
}

/** The image workflow's definition over the deployed task functions. */
export function imageStateMachine(scope: Construct, fns: WorkflowTaskFunctions): sfn.IChainable {
  return imageWorkflowDefinition(scope, { functions: pick(fns, IMAGE_WORKFLOW_TASKS) });
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

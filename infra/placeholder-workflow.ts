/**
 * Stand-ins until the workflow's own definition (`workflows/`) is wired in: the task list with
 * each task's access, and a minimal linear definition over it with the platform's Retry/Catch
 * contract. The real definition replaces `placeholderWorkflow`; the task table stays the place
 * where each task's permissions are decided.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { RETRYABLE_ERROR_NAMES } from '../core/errors.js';
import type { ImageStorage } from './image-storage.js';
import type { WorkflowTaskFunctions, WorkflowTaskSpec } from './image-workflows.js';

/** Every task of the bulk workflow and what it may touch (DESIGN.md, "The bulk workflow"). */
export function workflowTasks(
  storage: ImageStorage,
  options: { events: boolean },
): Record<string, WorkflowTaskSpec> {
  const uploads = { bucket: storage.uploads };
  return {
    inspect: { description: 'type, size, pixel limits, content hash', read: [uploads] },
    moderate: {
      description: 'moderation labels; flagged images go to quarantine',
      read: [uploads],
      write: [{ bucket: storage.quarantine }],
      rekognition: ['rekognition:DetectModerationLabels'],
    },
    'smart-crop': {
      description: 'focal point and subject box',
      read: [uploads],
      rekognition: ['rekognition:DetectFaces', 'rekognition:DetectLabels'],
    },
    render: {
      description: 'one rendition (size x format)',
      read: [uploads],
      write: [{ bucket: storage.renditions }],
      // A 12 MP decode plus an AVIF encode: sharp needs the memory, and CPU scales with it.
      memorySize: 2048,
      timeout: Duration.minutes(5),
    },
    publish: {
      description: 'manifest to S3, completion event to Kafka',
      write: [{ bucket: storage.renditions, prefix: 'manifests/' }],
      publishesEvents: options.events,
      memorySize: 512,
    },
    fail: {
      description: 'failure event for an execution that could not finish',
      publishesEvents: options.events,
      memorySize: 512,
    },
  };
}

/**
 * A linear Inspect → Moderate → SmartCrop → Render → Publish chain, retrying transient errors
 * with backoff and routing anything else to Fail. Only a placeholder: no Choice on moderation,
 * no Map over presets.
 */
export function placeholderWorkflow(scope: Construct, fns: WorkflowTaskFunctions): sfn.IChainable {
  const invoke = (id: string, name: string) =>
    new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: required(fns, name),
      payloadResponseOnly: true,
    }).addRetry({
      errors: [...RETRYABLE_ERROR_NAMES],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 4,
      jitterStrategy: sfn.JitterType.FULL,
    });
  const failed = invoke('Fail', 'fail').next(new sfn.Fail(scope, 'Failed', { error: 'WorkflowFailed' }));
  const steps = [
    'Inspect:inspect',
    'Moderate:moderate',
    'SmartCrop:smart-crop',
    'Render:render',
    'Publish:publish',
  ].map((entry) => {
    const [id, name] = entry.split(':') as [string, string];
    return invoke(id, name).addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
  });
  let chain = sfn.Chain.start(steps[0]!);
  for (const step of steps.slice(1)) chain = chain.next(step);
  return chain.next(new sfn.Succeed(scope, 'Done'));
}

function required(fns: WorkflowTaskFunctions, name: string) {
  const fn = fns[name];
  if (!fn) throw new Error(`The workflow needs a "${name}" task function`);
  return fn;
}

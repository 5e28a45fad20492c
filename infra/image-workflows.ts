/**
 * The bulk workflow's AWS side: one Lambda per task (least privilege each), the state machines
 * built by definition builders (the workflow's own code in `workflows/`, the same definition the
 * local engine runs), X-Ray and full execution logging, and the upload trigger:
 * S3 `Object Created` on the uploads bucket → EventBridge → the start-image-workflow task →
 * StartExecution.
 *
 * EventBridge does not start the state machine itself: it could only pass the raw S3 event
 * (which Inspect rejects) and cannot name an execution. The trigger task turns the event into
 * the workflow's input (`ImageWorkflowInput`: image id, quoted ETag, rendition set, review flag),
 * exactly as the local triggers do, and names the execution after bucket/key/ETag, so a repeated
 * notification is refused by Step Functions (ExecutionAlreadyExists) instead of processed twice.
 * Events EventBridge cannot deliver, and invocations that still fail after Lambda's retries, land
 * in one dead-letter queue.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack, type CfnResource } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { constructId } from './construct-id.js';
import { acknowledge, findingRef, findingText } from './acknowledge.js';
import { grantObjectDelete, grantObjectRead, grantObjectWrite, type BucketAccess } from './bucket-access.js';
import type { EventStreaming } from './event-streaming.js';
import type { LambdaCodeSource } from './lambda-code.js';
import { physicalName } from './physical-name.js';
import { PlatformFunction } from './platform-function.js';

/** The task functions by task name, as a definition builder receives them. */
export type WorkflowTaskFunctions = Readonly<Record<string, lambda.IFunction>>;

/**
 * Adds a state machine's states to `scope` and returns its start: the contract between the
 * workflow's definition (in `workflows/`) and this construct.
 */
export type WorkflowDefinitionBuilder = (scope: Construct, tasks: WorkflowTaskFunctions) => sfn.IChainable;

/** What one task function may touch. Everything not listed is denied. */
export interface WorkflowTaskSpec {
  description: string;
  read?: BucketAccess[];
  write?: BucketAccess[];
  delete?: BucketAccess[];
  /** Rekognition actions (they take no resource ARN). @default none */
  rekognition?: string[];
  /**
   * Publishes events: to Kafka with streaming (in the streaming VPC with KAFKA_BROKERS/KAFKA_TOPIC
   * and MSK IAM auth over TLS: KAFKA_SASL=iam, KAFKA_TLS=Yes), else straight to the lake
   * (LAKE_BUCKET, writing under its events prefix): never to the read-only task root. @default false
   */
  publishesEvents?: boolean;
  /**
   * Starts executions of the upload state machine (WORKFLOW_ENGINE=stepfunctions,
   * IMAGE_STATE_MACHINE_ARN): StartExecution on it, DescribeExecution on its executions. @default false
   */
  startsExecutions?: boolean;
  /** @default 1024 (sharp decodes whole images) */
  memorySize?: number;
  /** @default 2 minutes */
  timeout?: Duration;
  environment?: Record<string, string>;
}

export interface ImageWorkflowsProps {
  code: LambdaCodeSource;
  /** Task name → access; each becomes the function `task-<name>` (its bundle name). */
  tasks: Readonly<Record<string, WorkflowTaskSpec>>;
  /** State machine name → definition builder. */
  stateMachines: Readonly<Record<string, WorkflowDefinitionBuilder>>;
  /** The state machine an upload starts. */
  uploadStateMachine: string;
  /** The task EventBridge invokes with each S3 `Object Created` event; it must `startsExecutions`. */
  uploadTrigger: string;
  uploads: s3.IBucket;
  /** Only keys under this prefix start the workflow. @default every key */
  uploadsPrefix?: string;
  /** Where publishing tasks send events with streaming. */
  streaming?: EventStreaming;
  /** Where publishing tasks write events without streaming: the lake's events prefix. */
  lake: BucketAccess;
  /** Passed to every task (bucket names and the like). */
  environment?: Record<string, string>;
  logRetention: logs.RetentionDays;
}

export class ImageWorkflows extends Construct {
  readonly tasks: Readonly<Record<string, PlatformFunction>>;
  readonly stateMachines: Readonly<Record<string, sfn.StateMachine>>;
  /** Dead-letter queues, for alarms. */
  readonly deadLetterQueues: sqs.Queue[] = [];
  readonly uploadRule: events.Rule;

  constructor(scope: Construct, id: string, props: ImageWorkflowsProps) {
    super(scope, id);
    const taskFunctions: Record<string, PlatformFunction> = {};
    for (const [name, spec] of Object.entries(props.tasks))
      taskFunctions[name] = this.createTask(name, spec, props);
    this.tasks = taskFunctions;
    const invocable = Object.fromEntries(
      Object.entries(taskFunctions).map(([name, task]) => [name, task.function]),
    );

    const machines: Record<string, sfn.StateMachine> = {};
    for (const [name, build] of Object.entries(props.stateMachines)) {
      const definitionScope = new Construct(this, `${constructId(name)}Definition`);
      const logGroup = new logs.LogGroup(this, `${constructId(name)}Logs`, {
        // Step Functions writes through CloudWatch vended logs; this prefix keeps the account's
        // log resource policy small however many state machines there are.
        // Retained, so unique to this stack instance: a re-created stack must not find it taken.
        logGroupName: physicalName(this, { prefix: '/aws/vendedlogs/states/', suffix: name, maxLength: 512 }),
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const machine = new sfn.StateMachine(this, constructId(name), {
        stateMachineType: sfn.StateMachineType.STANDARD,
        definitionBody: sfn.DefinitionBody.fromChainable(build(definitionScope, invocable)),
        tracingEnabled: true,
        logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      });
      acknowledge(
        machine.role,
        'AwsSolutions-IAM5[Resource::*]',
        'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray PutTraceSegments accept only "*".',
      );
      // LambdaInvoke grants `<function>:*` so any version or alias can be invoked; the
      // definition decides which, so the wildcard is scoped to the task's own function.
      for (const task of Object.values(taskFunctions)) {
        acknowledge(
          machine.role,
          `AwsSolutions-IAM5[Resource::${findingRef(task.function.node.defaultChild as CfnResource)}:*]`,
          'Invoking any version or alias of this one task function: the wildcard only spans qualifiers of a single function ARN.',
        );
      }
      if (machine.node.tryFindChild('DistributedMapPolicy')) {
        // CDK's grants for a Distributed Map's child executions (start, describe, stop, redrive).
        for (const pattern of [`${executionsOf(machine)}:*`, `${executionsOf(machine)}/*:*`]) {
          acknowledge(
            machine,
            `AwsSolutions-IAM5[Resource::${pattern}]`,
            "A Distributed Map runs each batch as a child execution of this same state machine, named at run time: only a pattern over this machine's own executions can grant describing, stopping and redriving them.",
          );
        }
      }
      machines[name] = machine;
    }
    this.stateMachines = machines;

    const uploadMachine = machines[props.uploadStateMachine];
    if (!uploadMachine)
      throw new Error(
        `uploadStateMachine "${props.uploadStateMachine}" is not one of: ${Object.keys(machines).join(', ')}`,
      );
    this.uploadRule = new events.Rule(this, 'UploadCreated', {
      description: 'shutter: an upload starts the bulk workflow',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.uploads.bucketName] },
          ...(props.uploadsPrefix ? { object: { key: [{ prefix: props.uploadsPrefix }] } } : {}),
        },
      },
    });
    this.triggerUploads(props, uploadMachine);
  }

  private createTask(name: string, spec: WorkflowTaskSpec, props: ImageWorkflowsProps): PlatformFunction {
    const streaming = spec.publishesEvents ? props.streaming : undefined;
    const lake = spec.publishesEvents && !streaming ? props.lake : undefined;
    const task = new PlatformFunction(this, `${constructId(name)}Task`, {
      bundle: `task-${name}`,
      code: props.code,
      description: `shutter workflow task: ${spec.description}`,
      memorySize: spec.memorySize ?? 1024,
      timeout: spec.timeout ?? Duration.minutes(2),
      logRetention: props.logRetention,
      environment: {
        SHUTTER_STORAGE: 's3',
        ...props.environment,
        ...(streaming
          ? {
              KAFKA_BROKERS: streaming.bootstrapBrokers,
              KAFKA_TOPIC: streaming.topic,
              // MSK Serverless accepts only IAM-authenticated clients, over TLS (core/compose.ts kafkaConfig).
              KAFKA_SASL: 'iam',
              KAFKA_TLS: 'Yes',
            }
          : {}),
        ...(lake ? { LAKE_BUCKET: lake.bucket.bucketName } : {}),
        ...spec.environment,
      },
      ...(streaming
        ? {
            vpc: {
              vpc: streaming.vpc,
              subnets: streaming.vpc.selectSubnets({ subnetGroupName: 'private' }),
              securityGroups: [streaming.clientSecurityGroup],
            },
          }
        : {}),
    });
    for (const access of spec.read ?? []) grantObjectRead(task.role, access);
    for (const access of spec.write ?? []) grantObjectWrite(task.role, access);
    for (const access of spec.delete ?? []) grantObjectDelete(task.role, access);
    if (spec.rekognition?.length) {
      task.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: spec.rekognition, resources: ['*'] }),
      );
      acknowledge(
        task.role,
        'AwsSolutions-IAM5[Resource::*]',
        'Rekognition image analysis actions accept no resource ARN, only "*".',
      );
    }
    streaming?.grantProduce(task.role);
    if (lake) grantObjectWrite(task.role, lake);
    return task;
  }

  /**
   * Gives the tasks that start executions the upload state machine, and has EventBridge invoke the
   * trigger task with every upload's `Object Created` event.
   */
  private triggerUploads(props: ImageWorkflowsProps, machine: sfn.StateMachine): void {
    for (const [name, spec] of Object.entries(props.tasks)) {
      if (!spec.startsExecutions) continue;
      const task = this.tasks[name]!;
      task.function.addEnvironment('WORKFLOW_ENGINE', 'stepfunctions');
      task.function.addEnvironment('IMAGE_STATE_MACHINE_ARN', machine.stateMachineArn);
      machine.grantStartExecution(task.role);
      // A repeated notification finds the execution already there and describes it (dedupe).
      machine.grantExecution(task.role, 'states:DescribeExecution');
      acknowledge(
        task.role,
        `AwsSolutions-IAM5[Resource::${executionsOf(machine)}:*]`,
        'DescribeExecution on the executions of the one image state machine: execution ARNs are named at start, so only a pattern can cover them.',
      );
    }
    const triggerSpec = props.tasks[props.uploadTrigger];
    const trigger = this.tasks[props.uploadTrigger];
    if (!triggerSpec?.startsExecutions || !trigger)
      throw new Error(`uploadTrigger "${props.uploadTrigger}" must be a task that startsExecutions`);
    const deadLetters = this.deadLetterQueue('UploadEventDeadLetters');
    this.uploadRule.addTarget(
      new targets.LambdaFunction(trigger.function, {
        deadLetterQueue: deadLetters,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      }),
    );
    // EventBridge invokes asynchronously: its dead-letter queue only catches what it cannot
    // deliver. A function error is retried by Lambda, then recorded in the same queue.
    trigger.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(deadLetters),
    });
  }

  private deadLetterQueue(id: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      // SQS-managed keys: EventBridge can deliver to them without a key policy of its own.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      queue,
      'AwsSolutions-SQS3',
      'This queue is itself a dead-letter queue, watched by an alarm on its depth.',
    );
    this.deadLetterQueues.push(queue);
    return queue;
  }
}

/** The execution ARN prefix of a state machine (`…:execution:<name>`), as cdk-nag writes it. */
function executionsOf(machine: sfn.StateMachine): string {
  const stack = Stack.of(machine);
  const name = stack.splitArn(machine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName!;
  return findingText(machine, stack.formatArn({ service: 'states', resource: 'execution', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
}

/**
 * What every workflow task may use, injected: the platform's ports and the few settings tasks
 * read. In Lambda the deps come from the environment (once per container); locally the
 * runtime passes the server's own platform.
 *
 * Events: locally a task's `publish` returns once its events are in the disk outbox, which
 * delivers them whenever the broker is reachable. In Lambda (`AWS_LAMBDA_FUNCTION_NAME` set)
 * that outbox is in /tmp, gone with the container, so a task waits until the broker has its
 * events and fails with a retryable `Events::Undelivered` otherwise: Step Functions retries the
 * task, which re-sends the same event ids (consumers dedupe by id).
 */
import type { Analyzer } from '../core/ports/analyzer.js';
import type { EventSink } from '../core/ports/event-sink.js';
import type { Storage } from '../core/ports/storage.js';
import type { WorkflowEngine } from '../core/ports/workflow-engine.js';
import type { RenderDeps } from '../core/pipeline/render-context.js';
import type { RenditionSets } from '../core/renditions.js';
import type { Platform } from '../core/compose.js';
import { logger, type Logger } from '../core/observability/logger.js';

export interface TaskDeps {
  storage: Storage;
  analyzer: Analyzer;
  events: EventSink;
  renditions: Readonly<RenditionSets>;
  buckets: { uploads: string; renditions: string; quarantine: string };
  /** Prefix of the rendition URLs in manifests (RENDITIONS_BASE_URL); '' for server-relative URLs. */
  renditionsBaseUrl: string;
  limits: RenderDeps['limits'];
  minModerationConfidence: number;
  /** Whether flagged images wait for an operator (the trigger puts it in the execution input). */
  review: boolean;
  /**
   * Locally, the turns renders take across executions (WORKFLOW_RENDERS at once): a render reads
   * and decodes its source inside its turn, so one waiting holds no image, and writes its files
   * after it, so the cores never wait on a fsync. Absent in Lambda, where each render has its own.
   */
  renders?: { run<T>(work: () => Promise<T>): Promise<T> };
  /** Where the backfill starts image executions; set once the engine exists. */
  engine?: WorkflowEngine;
  /** The server's logger (same line shape and redaction); the task middleware adds the task's ids per invocation. */
  log: Logger;
  now: () => Date;
}

export function taskDepsFrom(platform: Platform, options: { log?: Logger; now?: () => Date } = {}): TaskDeps {
  const { config } = platform;
  return {
    storage: platform.storage,
    analyzer: platform.analyzer,
    events: config.inLambda ? awaitingDelivery(platform.events) : platform.events,
    renditions: platform.renditions,
    buckets: config.workflow.buckets,
    renditionsBaseUrl: config.workflow.renditionsBaseUrl,
    limits: config.limits,
    minModerationConfidence: config.workflow.minModerationConfidence,
    review: config.workflow.review,
    ...(platform.workflows ? { engine: platform.workflows } : {}),
    log: options.log ?? logger,
    now: options.now ?? (() => new Date()),
  };
}

/** The sink with every publish waiting for delivery (see the module comment). */
export function awaitingDelivery(sink: EventSink): EventSink {
  return {
    publish: (events, options) => sink.publish(events, { ...options, awaitDelivery: true }),
    flush: () => sink.flush(),
    close: () => sink.close(),
  };
}

let lambdaDeps: Promise<TaskDeps> | undefined;

/** The deps of a task running in Lambda: built from the environment once per container. */
export function depsFromEnvironment(): Promise<TaskDeps> {
  lambdaDeps ??= (async () => {
    const [{ loadConfig }, { createPlatform }] = await Promise.all([import('../core/config.js'), import('../core/compose.js')]);
    return taskDepsFrom(createPlatform(loadConfig(process.env)));
  })();
  return lambdaDeps;
}

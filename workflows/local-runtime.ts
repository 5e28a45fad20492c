/**
 * The bulk workflow on one machine: the local engine running the CDK-rendered ASL with the
 * Middy task handlers bound to the platform, history in `$SHUTTER_DATA_DIR/workflows/history.db`,
 * plus the local triggers (watched uploads folder) and the uploads expiry sweep.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AslWorkflowEngine, type LocalFunction } from './engine/asl-workflow-engine.js';
import type { Platform } from '../core/compose.js';
import { Semaphore } from '../core/concurrency.js';
import { WORKFLOW } from '../core/limits.js';
import { IdleMemory } from '../core/memory/idle-memory.js';
import * as handleFailure from '../tasks/handle-failure.js';
import * as inspect from '../tasks/inspect.js';
import * as listUploads from '../tasks/list-uploads.js';
import * as moderate from '../tasks/moderate.js';
import * as publish from '../tasks/publish.js';
import * as quarantine from '../tasks/quarantine.js';
import * as renderRenditions from '../tasks/render-renditions.js';
import * as smartCrop from '../tasks/smart-crop.js';
import * as startImageWorkflow from '../tasks/start-image-workflow.js';
import { taskDepsFrom, type TaskDeps } from '../tasks/task-deps.js';
import type { TaskName } from '../tasks/task-names.js';
import type { Logger } from '../core/observability/logger.js';
import type { TaskHandler } from '../tasks/with-task-middleware.js';
import { BACKFILL_WORKFLOW_ASL } from './asl/backfill-workflow.asl.js';
import { IMAGE_WORKFLOW_ASL } from './asl/image-workflow.asl.js';
import { IMAGE_WORKFLOW, startImageExecution } from '../tasks/image-execution.js';
import { sweepExpiredUploads } from './uploads-sweep.js';
import { watchUploads, type UploadsWatcher } from './uploads-watcher.js';

/** One handler per task, under its name: a task without its handler, or under another name, does not compile. */
export type LocalTaskHandlers = { readonly [N in TaskName]: TaskHandler<N> };

/** Every task handler, by the function name the definitions invoke. */
export const TASK_HANDLERS: LocalTaskHandlers = {
  inspect: inspect.handler,
  moderate: moderate.handler,
  quarantine: quarantine.handler,
  'smart-crop': smartCrop.handler,
  'render-renditions': renderRenditions.handler,
  publish: publish.handler,
  'handle-failure': handleFailure.handler,
  'list-uploads': listUploads.handler,
  'start-image-workflow': startImageWorkflow.handler,
};

export const BACKFILL_WORKFLOW = 'backfill';

export interface LocalWorkflowsOptions {
  /** The ASL to run (default: the committed rendering of the CDK definitions). */
  asl?: { image?: object; backfill?: object };
  /** The history database (default `<data dir>/workflows/history.db`). */
  historyFile?: string;
  /** The tasks' logger (default: the server's). */
  log?: Logger;
  /** Watch the uploads folder and reconcile at start (default: config WATCH_UPLOADS). */
  watch?: boolean;
  /** Run the uploads expiry sweep at start and hourly (default: true). */
  sweep?: boolean;
  retryIntervalOverrides?: Record<string, number | number[]>;
  autoStart?: boolean;
  pollMs?: number;
  onWatchError?: (error: unknown, key: string) => void;
  /**
   * Gives memory back once the workflow's tasks have been idle a while (core/memory/); `shutter
   * serve` passes the one its server shares. Default: the workflow's own, after MEMORY_IDLE_SECONDS.
   */
  idleMemory?: IdleMemory;
}

export interface LocalWorkflows {
  engine: AslWorkflowEngine;
  deps: TaskDeps;
  /** Starts (or finds) the image execution for an object in the uploads bucket. */
  startUpload(key: string, etag?: string): ReturnType<typeof startImageExecution>;
  /** The watcher, when watching. */
  watcher?: UploadsWatcher;
  /** Counts every task invocation as work, and gives memory back after them. */
  idleMemory: IdleMemory;
  close(): Promise<void>;
}

export function createLocalWorkflows(platform: Platform, options: LocalWorkflowsOptions = {}): LocalWorkflows {
  const { config } = platform;
  const deps = taskDepsFrom(platform, options.log ? { log: options.log } : {});
  // Each execution's Map renders a few presets at once and several executions run: in one process
  // they share the cores, so their renders take turns (see TaskDeps.renders).
  deps.renders = new Semaphore(config.workflow.renders);
  // A burst of executions leaves freed render buffers behind: each task invocation is work, and
  // once none has run for a while the memory goes back (core/memory/idle-memory.ts).
  const idleMemory = options.idleMemory ?? new IdleMemory({ idleMs: config.memoryIdleMs, log: deps.log });
  const functions: Record<string, LocalFunction> = Object.fromEntries(
    Object.entries(TASK_HANDLERS).map(([name, handler]) => {
      const bound = handler.withDeps(deps);
      const run: LocalFunction = (payload, invocation) => bound(payload, { signal: invocation.signal });
      return [name, idleMemory.wrap(run)];
    }),
  );
  const historyFile = options.historyFile ?? path.join(config.dataDir, 'workflows', 'history.db');
  const engine = new AslWorkflowEngine({
    store: historyFile,
    workflows: {
      // The built-in definitions are validated by the tests, not at every start; a caller's are validated here.
      [IMAGE_WORKFLOW]: { definition: options.asl?.image ?? IMAGE_WORKFLOW_ASL, functions, validated: !options.asl?.image },
      [BACKFILL_WORKFLOW]: { definition: options.asl?.backfill ?? BACKFILL_WORKFLOW_ASL, functions, validated: !options.asl?.backfill },
    },
    concurrency: config.workflow.concurrency,
    ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
    ...(options.autoStart !== undefined ? { autoStart: options.autoStart } : {}),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
  });
  deps.engine = engine;
  const uploads = config.workflow.buckets.uploads;
  const startUpload = (key: string, etag?: string) =>
    startImageExecution(engine, platform.storage, { bucket: uploads, key, ...(etag ? { etag } : {}) }, { review: config.workflow.review });

  let watcher: UploadsWatcher | undefined;
  if ((options.watch ?? config.workflow.watchUploads) && config.storage === 'local') {
    const dir = path.join(config.dataDir, 'buckets', uploads);
    mkdirSync(dir, { recursive: true });
    watcher = watchUploads({
      storage: platform.storage,
      bucket: uploads,
      dir,
      start: (key) => startUpload(key),
      ...(options.onWatchError ? { onError: options.onWatchError } : {}),
    });
  }
  const timers: NodeJS.Timeout[] = [];
  if (options.sweep ?? true) {
    const sweep = () =>
      sweepExpiredUploads(platform.storage, uploads, { retentionDays: config.workflow.uploadRetentionDays }).catch((error: unknown) =>
        deps.log.warn({ error: String(error) }, 'uploads sweep failed'),
      );
    void sweep();
    timers.push(setInterval(sweep, WORKFLOW.sweepIntervalMs).unref());
  }
  return {
    engine,
    deps,
    startUpload,
    ...(watcher ? { watcher } : {}),
    idleMemory,
    async close() {
      for (const timer of timers) clearInterval(timer);
      if (!options.idleMemory) idleMemory.close();
      watcher?.close();
      await engine.close();
    },
  };
}

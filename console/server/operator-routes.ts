/**
 * The operator's API beyond the console's own routes (`console-routes.ts`, which `consoleApi`
 * always adds): the bulk workflow (uploads, executions, decisions, backfills), the moderation
 * queue and the analytics queries. One composition, used by `shutter serve` and by the console's
 * Lambda (`lambda.ts`), so a deployment answers exactly the API routes the local server does.
 *
 * ```ts
 * const app = createApp(platform, operatorRoutes(platform, { workflows: stepFunctionsWorkflows(platform), queries: createQueryEngine(config, TABLES) }));
 * ```
 */
import type { Platform } from '../../core/compose.js';
import type { QueryEngine } from '../../core/ports/query-engine.js';
import type { WorkflowEngine } from '../../core/ports/workflow-engine.js';
import { startImageExecution } from '../../tasks/image-execution.js';
import { analyticsRoutes } from './analytics-routes.js';
import { moderationRoutes } from './moderation-routes.js';
import type { Route } from '../../api/router.js';
import { settingsRoutes } from './settings-routes.js';
import { workflowRoutes, type WorkflowRoutesDeps } from './workflow-routes.js';

/** A workflow engine and how an upload starts the image workflow on it. */
export interface WorkflowAccess {
  engine: WorkflowEngine;
  startUpload: WorkflowRoutesDeps['startUpload'];
}

/**
 * The Step Functions engine of a platform built with `WORKFLOW_ENGINE=stepfunctions` (undefined
 * without one): an upload starts the image state machine with the input and execution name the
 * S3 → EventBridge trigger would give it, so whichever starts first, the other finds it running.
 */
export function stepFunctionsWorkflows(platform: Platform): WorkflowAccess | undefined {
  const engine = platform.workflows;
  if (!engine) return undefined;
  const { config, storage } = platform;
  return {
    engine,
    startUpload: (key, etag) =>
      startImageExecution(engine, storage, { bucket: config.workflow.buckets.uploads, key, ...(etag ? { etag } : {}) }, { review: config.workflow.review }),
  };
}

/** The workflow and moderation routes (when there is a workflow engine) and the analytics routes. */
export function operatorRoutes(platform: Platform, options: { workflows: WorkflowAccess | undefined; queries: QueryEngine }): Route[] {
  const { config, storage } = platform;
  const { workflows, queries } = options;
  return [
    ...(workflows
      ? [
          ...workflowRoutes({ config, storage, engine: workflows.engine, startUpload: workflows.startUpload }),
          ...moderationRoutes({ config, storage, engine: workflows.engine }),
        ]
      : []),
    // Delivery settings changed at run time: origins, policies and mappings.
    ...(platform.settings ? settingsRoutes({ store: platform.settings, events: platform.events, presets: platform.presets }) : []),
    // The named dashboard queries, for the console's Analytics page (DuckDB over the local events, or Athena).
    ...analyticsRoutes(queries),
  ];
}

#!/usr/bin/env node
/**
 * shutter's command line.
 *
 *   shutter serve                 run the image API and the bulk workflow (uploads, executions) locally
 *   shutter sign <path> [k=v ...] print the signed URL path for ENABLE_SIGNATURE deployments
 *   shutter process <dir>         upload a folder and run the workflow on every file, with a progress bar
 *   shutter executions [<id>]     list executions (--status, --prefix, --limit), or show one with its history
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.js';
import { createPlatform, createQueryEngine } from '../core/compose.js';
import { ConfigError } from '../core/errors.js';
import { createApp } from '../api/app.js';
import type { Route } from '../api/router.js';
import { startServer } from '../api/local-server.js';
import { sign, signingKey } from '../api/signature.js';
import { seedSamples } from './seed-samples.js';
import { logger } from '../core/observability/logger.js';
import { workflowRoutes } from '../api/workflow-routes.js';
import { moderationRoutes } from '../api/moderation-routes.js';
import { analyticsRoutes } from '../api/analytics-routes.js';
import { reportWorkflowMetrics } from '../workflows/workflow-metrics.js';
import { createLocalWorkflows, type LocalWorkflows } from '../workflows/local-runtime.js';
import { IMAGE_WORKFLOW, startImageExecution } from '../workflows/image-execution.js';
import { jsonLogger } from '../tasks/task-deps.js';
import { processFolder } from './process-command.js';
import { executionsCommand } from './executions-command.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function serve(): Promise<void> {
  const config = loadConfig(process.env);
  const platform = createPlatform(config);
  let local: LocalWorkflows | undefined;
  let routes = [] as Route[];
  let stopMetrics = () => {};
  if (config.workflow.engine === 'local') {
    local = createLocalWorkflows(platform, {
      log: jsonLogger('warn'),
      onWatchError: (error, key) => log('watched upload not started', { key, error: String(error) }),
    });
    stopMetrics = reportWorkflowMetrics(local.engine.store);
    routes = [
      ...workflowRoutes({ config, storage: platform.storage, engine: local.engine, startUpload: local.startUpload }),
      ...moderationRoutes({ config, storage: platform.storage, engine: local.engine }),
    ];
  } else if (platform.workflows) {
    const engine = platform.workflows;
    routes = workflowRoutes({
      config,
      storage: platform.storage,
      engine,
      startUpload: (key, etag) =>
        startImageExecution(engine, platform.storage, { bucket: config.workflow.buckets.uploads, key, ...(etag ? { etag } : {}) }, { review: config.workflow.review }),
    });
    routes.push(...moderationRoutes({ config, storage: platform.storage, engine }));
  }
  // The named dashboard queries, for the console's Analytics page (DuckDB over the local events, or Athena).
  const queries = createQueryEngine(config);
  routes.push(...analyticsRoutes(queries));
  const app = createApp(platform, routes);
  const server = await startServer(app.handle, { port: config.port, host: config.host });
  const bucket = config.sourceBuckets[0]!;
  const seeded = config.storage === 'local' && config.seedSamples ? await seedSamples(platform.storage, bucket, path.join(root, 'samples')) : [];
  app.ready = true;
  const base = `http://localhost:${new URL(server.url).port}`;
  log('shutter is serving', {
    url: base,
    dataDir: config.dataDir,
    storage: config.storage,
    sourceBuckets: config.sourceBuckets,
    workflow: { engine: config.workflow.engine, buckets: config.workflow.buckets, watching: !!local?.watcher },
  });
  if (seeded.length) log('seeded sample photographs', { bucket, keys: seeded });
  const example = seeded[0] ?? 'astronaut.jpg';
  const base64 = Buffer.from(JSON.stringify({ bucket, key: example, edits: { resize: { width: 300, height: 300, fit: 'cover' }, grayscale: true } })).toString('base64');
  console.log(`\nTry:\n  ${base}/${example}?width=400&format=webp\n  ${base}/fit-in/300x300/filters:grayscale()/${example}\n  ${base}/${base64}\n  ${base}/meta/${example}\n`);
  const bearer = config.console.authRequired ? ' -H "Authorization: Bearer $CONSOLE_TOKEN"' : '';
  console.log(`Bulk workflow:\n  curl${bearer} -T photo.jpg ${base}/api/uploads/photo.jpg\n  curl${bearer} ${base}/api/executions\n`);
  console.log(`Operator console:\n  ${base}/console/${config.console.authRequired ? '  (sign in with CONSOLE_TOKEN or CONSOLE_USER/CONSOLE_PASSWORD)' : ''}\n`);

  const stop = async (signal: string) => {
    log('shutting down', { signal });
    app.ready = false;
    await server.close();
    // Running executions go back to the queue and resume on the next start.
    stopMetrics();
    await local?.close();
    await queries.close();
    await platform.events.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

async function processCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { prefix: { type: 'string' }, set: { type: 'string' }, quiet: { type: 'boolean' } } });
  const [dir] = positionals;
  if (!dir) throw new Error('usage: shutter process <dir> [--prefix key/prefix] [--set rendition-set] [--quiet]');
  const config = loadConfig(process.env);
  if (config.workflow.engine !== 'local') throw new ConfigError(['shutter process runs the local engine: WORKFLOW_ENGINE must be local']);
  const platform = createPlatform(config);
  const result = await processFolder(platform, dir, {
    ...(values.prefix ? { prefix: values.prefix } : {}),
    ...(values.set ? { set: values.set } : {}),
    ...(values.quiet ? { quiet: true } : {}),
  });
  await platform.events.close();
  for (const failure of result.failed) console.error(`${failure.status} ${failure.key}: ${failure.error ?? ''} ${failure.cause ?? ''}`.trim());
  console.log(JSON.stringify({ total: result.total, succeeded: result.succeeded, failed: result.failed.length, workflow: IMAGE_WORKFLOW }));
  process.exitCode = result.failed.length ? 1 : 0;
}

async function signCommand(args: string[]): Promise<void> {
  const [urlPath, ...pairs] = args;
  if (!urlPath) throw new Error('usage: shutter sign <path> [name=value ...]');
  const config = loadConfig(process.env);
  if (!config.signature.secretName || !config.signature.secretKey) {
    throw new ConfigError(['SECRETS_MANAGER and SECRET_KEY must name the signing secret']);
  }
  const query = Object.fromEntries(pairs.map((pair) => pair.split('=', 2) as [string, string]));
  const platform = createPlatform(config);
  const secret = await signingKey(platform.secrets, config.signature.secretName, config.signature.secretKey);
  const signature = sign(secret, urlPath, query);
  const search = new URLSearchParams({ ...query, signature });
  console.log(`${urlPath}?${search.toString()}`);
}

function log(msg: string, fields: Record<string, unknown> = {}): void {
  logger.info(fields, msg);
}

async function main(): Promise<void> {
  const { positionals } = parseArgs({ allowPositionals: true, strict: false });
  const [command = 'serve'] = positionals;
  // Each command parses its own options from what follows its name.
  const rest = process.argv.slice(process.argv.indexOf(command) + 1);
  switch (command) {
    case 'serve':
      return serve();
    case 'sign':
      return signCommand(rest);
    case 'process':
      return processCommand(rest);
    case 'executions':
      return executionsCommand(rest);
    default:
      throw new Error(`unknown command "${command}". Commands: serve, sign, process, executions`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

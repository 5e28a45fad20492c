#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --disable-warning=ExperimentalWarning
// MALLOC_ARENA_MAX=2, as sharp's docs recommend with glibc: libvips' worker threads otherwise each
// grow their own malloc arena and keep it; peak RSS in a burst of 12 MP renders fell ~190 → ~160 MB
// (bench/README.md, "Performance round 2"). glibc reads it at start, hence here and in `npm start`.
/**
 * shutter's command line.
 *
 *   shutter serve                 run the image API and the bulk workflow (uploads, executions) locally
 *   shutter sign <path> [k=v ...] print the signed URL path for ENABLE_SIGNATURE deployments
 *   shutter process <dir>         upload a folder and run the workflow on every file, with a progress bar
 *   shutter executions [<id>]     list executions (--status, --prefix, --limit), or show one with its history
 *   shutter events tail [-f] [--type T] [--from-end]   print events (local files, or the Kafka topic)
 *   shutter events sample [--days N]                    write a synthetic event history (demo dashboards)
 *   shutter query [<name>] [--json]                     run a named analytics query (no name: list them)
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.js';
import { TABLES } from '../analytics/tables.js';
import { createPlatform, createQueryEngine, createSecrets } from '../core/compose.js';
import { ConfigError } from '../core/errors.js';
import { DEFAULTS } from '../core/limits.js';
import { createApp } from '../api/app.js';
import { withConsoleSecret } from '../api/console-auth.js';
import { operatorRoutes, stepFunctionsWorkflows, type WorkflowAccess } from '../api/operator-routes.js';
import { fixtureEvents } from '../analytics/fixture-events.js';
import { startLakeConsumer } from '../analytics/lake-writer.js';
import { loadNamedQueries, runNamedQuery } from '../analytics/named-queries.js';
import { JsonlEventSink } from '../core/adapters/local/jsonl-event-sink.js';
import { eventLogEnd, readEventLog } from '../core/adapters/local/jsonl-event-log.js';
import type { QueryValue } from '../core/ports/query-engine.js';
import { startServer } from '../api/local-server.js';
import { sign, signingKey } from '../api/signature.js';
import { seedSamples } from './seed-samples.js';
import { logger } from '../core/observability/logger.js';
import { reportWorkflowMetrics } from '../workflows/workflow-metrics.js';
import { createLocalWorkflows, type LocalWorkflows } from '../workflows/local-runtime.js';
import { IMAGE_WORKFLOW } from '../workflows/image-execution.js';
import { processFolder } from './process-command.js';
import { gracefulShutdown } from './graceful-shutdown.js';
import { executionsCommand } from './executions-command.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function serve(): Promise<void> {
  const settings = loadConfig(process.env);
  const secrets = createSecrets(settings);
  // The console's credentials from CONSOLE_SECRET when it is set (else CONSOLE_TOKEN, ...).
  const config = await withConsoleSecret(settings, secrets);
  const platform = createPlatform(config, { secrets });
  let local: LocalWorkflows | undefined;
  let stopMetrics = () => {};
  let workflows: WorkflowAccess | undefined;
  if (config.workflow.engine === 'local') {
    local = createLocalWorkflows(platform, {
      onWatchError: (error, key) => log('watched upload not started', { key, error: String(error) }),
    });
    stopMetrics = reportWorkflowMetrics(local.engine.store);
    workflows = { engine: local.engine, startUpload: local.startUpload };
  } else {
    workflows = stepFunctionsWorkflows(platform);
  }
  const queries = createQueryEngine(config, TABLES);
  const routes = operatorRoutes(platform, { workflows, queries });
  const app = createApp(platform, routes);
  const server = await startServer(app.handle, { port: config.port, host: config.host, requestTimeoutMs: config.limits.requestTimeoutMs });
  // With Kafka, the lake is fed from the topic (as the MSK → S3 writer does in AWS), so the local dashboards see the events.
  const lake = config.events.kafka
    ? await startLakeConsumer({ kafka: (await import('../core/adapters/aws/kafka-client.js')).kafkaClient(config.events.kafka, config.region), topic: config.events.kafka.topic, sink: new JsonlEventSink({ dir: config.events.dir, retention: config.events.retention }) })
    : undefined;
  const bucket = config.sourceBuckets[0]!;
  const seeded = config.storage === 'local' && config.seedSamples ? await seedSamples(platform.storage, bucket, path.join(root, 'samples')) : [];
  app.ready = true;
  const port = new URL(server.url).port;
  const base = `http://localhost:${port}`;
  log('shutter is serving', {
    url: base,
    port: Number(port),
    dataDir: config.dataDir,
    storage: config.storage,
    sourceBuckets: config.sourceBuckets,
    workflow: { engine: config.workflow.engine, buckets: config.workflow.buckets, watching: !!local?.watcher },
    events: config.events.kafka ? `kafka ${config.events.kafka.brokers.join(',')} ${config.events.kafka.topic}` : config.events.dir,
    analytics: `${base}/api/analytics`,
  });
  if (seeded.length) log('seeded sample photographs', { bucket, keys: seeded });
  const example = seeded[0] ?? 'astronaut.jpg';
  const base64 = Buffer.from(JSON.stringify({ bucket, key: example, edits: { resize: { width: 300, height: 300, fit: 'cover' }, grayscale: true } })).toString('base64');
  console.log(`\nTry:\n  ${base}/${example}?width=400&format=webp\n  ${base}/fit-in/300x300/filters:grayscale()/${example}\n  ${base}/${base64}\n  ${base}/meta/${example}\n`);
  const bearer = config.console.authRequired ? ' -H "Authorization: Bearer $CONSOLE_TOKEN"' : '';
  console.log(`Bulk workflow:\n  curl${bearer} -T photo.jpg ${base}/api/uploads/photo.jpg\n  curl${bearer} ${base}/api/executions\n`);
  console.log(`Operator console:\n  ${base}/console/${config.console.authRequired ? '  (sign in with CONSOLE_TOKEN or CONSOLE_USER/CONSOLE_PASSWORD)' : ''}\n`);

  // Graceful shutdown: /health turns 503 (load balancers stop sending), no new connection is
  // accepted, requests in flight finish (at most the request timeout), then the process exits.
  // A second signal exits at once, and so does a shutdown past its hard limit (graceful-shutdown.ts).
  const graceMs = config.limits.requestTimeoutMs + 1000;
  const stop = gracefulShutdown(
    async (signal) => {
      log('shutting down: draining in-flight requests', { signal, inFlight: server.inFlight });
      app.ready = false;
      await server.close({ graceMs });
      // Running executions go back to the queue and resume on the next start.
      stopMetrics();
      await local?.close();
      await lake?.stop();
      await platform.events.close(); // delivers what it can; the outbox keeps the rest for next start
      await queries.close();
      log('stopped');
    },
    { hardLimitMs: graceMs + DEFAULTS.shutdownAfterDrainMs, log },
  );
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
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

async function eventsCommand(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { follow: { type: 'boolean', short: 'f' }, type: { type: 'string' }, 'from-end': { type: 'boolean' }, days: { type: 'string' } },
  });
  const config = loadConfig(process.env);
  const [sub] = positionals;
  if (sub === 'sample') {
    const days = Number(values.days ?? 7);
    const start = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
    const sink = new JsonlEventSink({ dir: config.events.dir });
    const events = [...fixtureEvents({ days, start, seed: Date.now() % 100_000 })];
    await sink.publish(events);
    await sink.close();
    log('wrote a synthetic event history', { events: events.length, days, dir: config.events.dir });
    return;
  }
  if (sub !== 'tail') throw new Error('usage: shutter events tail [-f] [--type <type>] [--from-end] | shutter events sample [--days N]');
  const wanted = values.type;
  const print = (line: string) => {
    if (!wanted || (JSON.parse(line) as { type?: string }).type === wanted) console.log(line);
  };
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  // `shutter events tail | head`: a closed pipe ends the tail quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  if (config.events.kafka) {
    const kafka = (await import('../core/adapters/aws/kafka-client.js')).kafkaClient(config.events.kafka, config.region);
    const consumer = kafka.consumer({ groupId: `shutter-tail-${process.pid}-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: config.events.kafka.topic, fromBeginning: !values['from-end'] });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) print(message.value.toString());
      },
    });
    await new Promise((resolve) => controller.signal.addEventListener('abort', resolve));
    await consumer.disconnect();
    return;
  }
  const from = values['from-end'] ? await eventLogEnd(config.events.dir) : undefined;
  for await (const line of readEventLog(config.events.dir, { follow: values.follow ?? false, ...(from ? { from } : {}), signal: controller.signal })) print(line);
}

async function queryCommand(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const [name] = positionals;
  if (!name) {
    for (const query of await loadNamedQueries()) console.log(`${query.name.padEnd(26)} ${query.title}: ${query.description}`);
    return;
  }
  const engine = createQueryEngine(loadConfig(process.env), TABLES);
  try {
    const result = await runNamedQuery(engine, name);
    if (values.json) console.log(JSON.stringify(result.rows, null, 2));
    else printTable(result.columns.map((column) => column.name), result.rows);
  } finally {
    await engine.close();
  }
}

function printTable(columns: string[], rows: Array<Record<string, QueryValue>>): void {
  const cell = (value: QueryValue) => (value === null ? '' : String(value));
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column] ?? null).length)));
  const line = (values: string[]) => values.map((value, index) => value.padEnd(widths[index]!)).join('  ').trimEnd();
  console.log(line(columns));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(columns.map((column) => cell(row[column] ?? null))));
  console.log(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
}

function log(msg: string, fields: Record<string, unknown> = {}): void {
  logger.info(fields, msg);
}

async function main(): Promise<void> {
  // Each command parses its own options from what follows its name.
  const [command = 'serve', ...rest] = process.argv.slice(2);
  switch (command) {
    case 'serve':
      return serve();
    case 'sign':
      return signCommand(rest);
    case 'process':
      return processCommand(rest);
    case 'executions':
      return executionsCommand(rest);
    case 'events':
      return eventsCommand(rest);
    case 'query':
      return queryCommand(rest);
    default:
      throw new Error(`unknown command "${command}". Commands: serve, sign, process, executions, events, query`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

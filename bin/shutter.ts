#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576 node --disable-warning=ExperimentalWarning --max-semi-space-size=1
// MALLOC_ARENA_MAX=2, as sharp's docs recommend with glibc: libvips' worker threads otherwise each
// grow their own malloc arena and keep it; peak RSS in a burst of 12 MP renders fell ~190 → ~160 MB
// (bench/README.md, "Performance round 2"). MALLOC_MMAP_THRESHOLD_=1048576 (1 MB, fixed): every
// block of 1 MB or more (pixel buffers, sources, results) gets its own mapping, given back to the OS
// when freed; glibc's default threshold grows to 32 MB after the first such free, and from then on
// those blocks stay in its arenas. Bulk workflow burst: peak RSS ~780 → ~700 MB, RSS after it
// ~725 → ~545 MB, CPU per image unchanged (bench/README.md, "session 5"). glibc reads both at
// start, hence here, in `npm start` and in the Dockerfile.
// --max-semi-space-size=1 (MB): V8's young generation otherwise grows to 2 × 16 MB while modules
// load and stays resident; capped, idle RSS is ~8 MB lower, for no CPU cost measurable on small
// renders or cache hits (bench/README.md, "Serving: idle memory, small images, cache hits"). V8 reads it at start too.
/**
 * shutter's command line: `bin/program.ts` declares the commands (`shutter --help` lists them);
 * this file binds them to the platform.
 *
 * @example
 *   shutter serve
 *   shutter executions --status FAILED --json
 */
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { CommanderError } from 'commander';
// Inlined by the bundler, so the CLI knows its version wherever its bundle lives.
import packageJson from '../package.json' with { type: 'json' };
import { loadConfig } from '../core/config.js';
import { TABLES } from '../analytics/tables.js';
import { createPlatform, createQueryEngine, createSecrets } from '../core/compose.js';
import { ConfigError } from '../core/errors.js';
import { DEFAULTS } from '../core/limits.js';
import { createApp } from '../console/server/app.js';
import { withConsoleSecret } from '../console/server/auth.js';
import { operatorRoutes, stepFunctionsWorkflows, type WorkflowAccess } from '../console/server/operator-routes.js';
import { fixtureEvents } from '../analytics/fixture-events.js';
import { startLakeConsumer } from '../analytics/lake-writer.js';
import { loadNamedQueries, runNamedQuery } from '../analytics/named-queries.js';
import { JsonlEventSink } from '../core/adapters/local/jsonl-event-sink.js';
import { eventLogEnd, readEventLog } from '../core/adapters/local/jsonl-event-log.js';
import { startServer } from '../api/local-server.js';
import { sign, signingKey } from '../api/signature.js';
import { seedSamples } from './seed-samples.js';
import { logger } from '../core/observability/logger.js';
import { reportWorkflowMetrics } from '../workflows/workflow-metrics.js';
import { createLocalWorkflows, type LocalWorkflows } from '../workflows/local-runtime.js';
import { IdleMemory } from '../core/memory/idle-memory.js';
import { IMAGE_WORKFLOW } from '../tasks/image-execution.js';
import { processFolder } from './process-command.js';
import { gracefulShutdown } from './graceful-shutdown.js';
import { executionsCommand } from './executions-command.js';
import { buildProgram, type ProcessOptions, type TailOptions } from './program.js';
import { completionScript } from './completion.js';
import { printTable } from './print-table.js';
import type { Config } from '../core/config.js';
import type { Secrets } from '../core/ports/secrets.js';

/** A failure the user can fix, said plainly: printed without a stack, exit code 1. */
class CliError extends Error {}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function serve(): Promise<void> {
  const settings = loadConfig(process.env);
  const secrets = createSecrets(settings);
  // The console's credentials from CONSOLE_SECRET when it is set (else CONSOLE_TOKEN, ...).
  const config = await withConsoleSecret(settings, secrets);
  const platform = createPlatform(config, { secrets });
  // Requests and workflow tasks are one process's work: memory goes back once neither has run for
  // MEMORY_IDLE_SECONDS (a full GC and glibc's malloc_trim, core/memory/).
  const idleMemory = new IdleMemory({ idleMs: config.memoryIdleMs, log: logger });
  let local: LocalWorkflows | undefined;
  let stopMetrics = () => {};
  let workflows: WorkflowAccess | undefined;
  if (config.workflow.engine === 'local') {
    local = createLocalWorkflows(platform, {
      idleMemory,
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
  const server = await startServer(idleMemory.wrap(app.handle), { port: config.port, host: config.host, requestTimeoutMs: config.limits.requestTimeoutMs }).catch((error: unknown) => {
    throw listenError(error, config);
  });
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
  const examples = await exampleUrls(config, secrets, [
    [`/${example}`, { width: '400', format: 'webp' }],
    [`/fit-in/300x300/filters:grayscale()/${example}`, {}],
    [`/${base64}`, {}],
    [`/meta/${example}`, {}],
  ]);
  console.log(`\nTry:${examples.map((url) => `\n  ${base}${url}`).join('')}\n`);
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
      idleMemory.close();
      // Running executions go back to the queue and resume on the next start.
      stopMetrics();
      await local?.close();
      await platform.analyzer.close?.(); // the local models' worker: a job in flight would keep the process up
      await lake?.stop();
      await app.flush(); // the access records still waiting for their batch
      await platform.events.close(); // delivers what it can; the outbox keeps the rest for next start
      await queries.close();
      log('stopped');
    },
    { hardLimitMs: graceMs + DEFAULTS.shutdownAfterDrainMs, log },
  );
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function processCommand(dir: string, options: ProcessOptions): Promise<void> {
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) throw new CliError(`"${dir}" is not a folder: shutter process <dir> uploads the files of a folder.`);
  const config = loadConfig(process.env);
  if (config.workflow.engine !== 'local') throw new ConfigError(['shutter process runs the local engine: WORKFLOW_ENGINE must be local']);
  const platform = createPlatform(config);
  const result = await processFolder(platform, dir, options);
  await platform.analyzer.close?.();
  await platform.events.close();
  for (const failure of result.failed) console.error(`${failure.status} ${failure.key}: ${failure.error ?? ''} ${failure.cause ?? ''}`.trim());
  console.log(JSON.stringify({ total: result.total, succeeded: result.succeeded, failed: result.failed.length, workflow: IMAGE_WORKFLOW }));
  process.exitCode = result.failed.length ? 1 : 0;
}

async function signCommand(urlPath: string, query: Record<string, string>): Promise<void> {
  const config = loadConfig(process.env);
  const key = await signingKeyFor(config, createSecrets(config));
  const search = new URLSearchParams({ ...query, signature: sign(key, urlPath, query) });
  console.log(`${urlPath}?${search.toString()}`);
}

/** The signing key, or a message naming the settings and the file to fix. */
async function signingKeyFor(config: Config, secrets: Secrets): Promise<string> {
  const { secretName, secretKey } = config.signature;
  if (!secretName || !secretKey) throw new CliError("Set SECRETS_MANAGER (the secret's name) and SECRET_KEY (its JSON field holding the key) to sign URLs.");
  try {
    return await signingKey(secrets, secretName, secretKey);
  } catch (error) {
    const where = config.storage === 'local' ? ` (${path.join(config.dataDir, 'secrets', `${secretName}.json`)})` : '';
    const why = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new CliError(`Cannot read the signing key from the secret "${secretName}"${where}, field "${secretKey}": ${why}. It must hold JSON like {"${secretKey}":"<key>"}.`);
  }
}

/** The example URLs printed at start, signed when signatures are on (else they would fail). */
async function exampleUrls(config: Config, secrets: Secrets, examples: Array<[string, Record<string, string>]>): Promise<string[]> {
  const withQuery = (urlPath: string, query: Record<string, string>) => (Object.keys(query).length ? `${urlPath}?${new URLSearchParams(query).toString()}` : urlPath);
  if (!config.signature.enabled) return examples.map(([urlPath, query]) => withQuery(urlPath, query));
  const key = await signingKeyFor(config, secrets).catch((error: unknown) => {
    log('example URLs are unsigned: ENABLE_SIGNATURE is on but the key cannot be read', { error: error instanceof Error ? error.message : String(error) });
    return undefined;
  });
  return examples.map(([urlPath, query]) => withQuery(urlPath, key ? { ...query, signature: sign(key, urlPath, query) } : query));
}

/** A port already taken or not allowed, said with the settings that choose it. */
function listenError(error: unknown, config: Config): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new CliError(`Port ${config.port} on ${config.host} is already in use (PORT=${config.port}). Stop the other server, or set PORT to a free port (PORT=0 picks one).`);
  }
  if (code === 'EACCES') return new CliError(`Not allowed to listen on port ${config.port} (PORT=${config.port}): ports below 1024 need privileges; choose PORT=8080, say.`);
  if (code === 'EADDRNOTAVAIL') return new CliError(`HOST=${config.host} is not an address of this machine: use 127.0.0.1 (loopback) or 0.0.0.0 (every address).`);
  return error instanceof Error ? error : new Error(String(error));
}

async function eventsSample(options: { days: number }): Promise<void> {
  const config = loadConfig(process.env);
  const { days } = options;
  const start = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const sink = new JsonlEventSink({ dir: config.events.dir });
  const events = [...fixtureEvents({ days, start, seed: Date.now() % 100_000 })];
  await sink.publish(events);
  await sink.close();
  log('wrote a synthetic event history', { events: events.length, days, dir: config.events.dir });
}

async function eventsTail(values: TailOptions): Promise<void> {
  const config = loadConfig(process.env);
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
    await consumer.subscribe({ topic: config.events.kafka.topic, fromBeginning: !values.fromEnd });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) print(message.value.toString());
      },
    });
    await new Promise((resolve) => controller.signal.addEventListener('abort', resolve));
    await consumer.disconnect();
    return;
  }
  const from = values.fromEnd ? await eventLogEnd(config.events.dir) : undefined;
  for await (const line of readEventLog(config.events.dir, { follow: values.follow ?? false, ...(from ? { from } : {}), signal: controller.signal })) print(line);
}

async function queryCommand(name: string | undefined, values: { json?: boolean }): Promise<void> {
  if (!name) {
    const queries = (await loadNamedQueries()).map(({ name: query, title, description }) => ({ name: query, title, description }));
    if (values.json) console.log(JSON.stringify(queries, null, 2));
    else printTable(['name', 'title', 'description'], queries);
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

function log(msg: string, fields: Record<string, unknown> = {}): void {
  logger.info(fields, msg);
}

async function main(): Promise<void> {
  const program = buildProgram(
    {
      serve,
      sign: signCommand,
      process: processCommand,
      executions: executionsCommand,
      eventsTail,
      eventsSample,
      query: queryCommand,
      completion: (shell, tree) => process.stdout.write(completionScript(tree, shell as 'bash' | 'zsh')),
    },
    packageJson.version,
  );
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    // Usage errors exit 2 (the shell convention), help and version 0; commander printed the message.
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    throw error;
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof CliError) console.error(error.message);
  else console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

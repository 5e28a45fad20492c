#!/usr/bin/env node
/**
 * shutter's command line.
 *
 *   shutter serve                 run the image API (and, as they land, workflow, console) locally
 *   shutter sign <path> [k=v ...] print the signed URL path for ENABLE_SIGNATURE deployments
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.js';
import { createPlatform } from '../core/compose.js';
import { ConfigError } from '../core/errors.js';
import { createApp } from '../api/app.js';
import { startServer } from '../api/local-server.js';
import { sign, signingKey } from '../api/signature.js';
import { seedSamples } from './seed-samples.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function serve(): Promise<void> {
  const config = loadConfig(process.env);
  const platform = createPlatform(config);
  const app = createApp(platform);
  const server = await startServer(app.handle, { port: config.port, host: config.host, requestTimeoutMs: config.limits.requestTimeoutMs });
  const bucket = config.sourceBuckets[0]!;
  const seeded = config.storage === 'local' && config.seedSamples ? await seedSamples(platform.storage, bucket, path.join(root, 'samples')) : [];
  app.ready = true;
  const port = new URL(server.url).port;
  const base = `http://localhost:${port}`;
  log('shutter is serving', { url: base, port: Number(port), dataDir: config.dataDir, storage: config.storage, sourceBuckets: config.sourceBuckets });
  if (seeded.length) log('seeded sample photographs', { bucket, keys: seeded });
  const example = seeded[0] ?? 'astronaut.jpg';
  const base64 = Buffer.from(JSON.stringify({ bucket, key: example, edits: { resize: { width: 300, height: 300, fit: 'cover' }, grayscale: true } })).toString('base64');
  console.log(`\nTry:\n  ${base}/${example}?width=400&format=webp\n  ${base}/fit-in/300x300/filters:grayscale()/${example}\n  ${base}/${base64}\n  ${base}/meta/${example}\n`);

  // Graceful shutdown: /health turns 503 (load balancers stop sending), no new connection is
  // accepted, requests in flight finish (at most the request timeout), then the process exits.
  // A second signal exits at once.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log('exiting without waiting', { signal });
      process.exit(1);
    }
    stopping = true;
    log('shutting down: draining in-flight requests', { signal, inFlight: server.inFlight });
    app.ready = false;
    await server.close({ graceMs: config.limits.requestTimeoutMs + 1000 });
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
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
  console.log(JSON.stringify({ level: 'info', time: new Date().toISOString(), msg, ...fields }));
}

async function main(): Promise<void> {
  const { positionals } = parseArgs({ allowPositionals: true, strict: false });
  const [command = 'serve', ...rest] = positionals;
  switch (command) {
    case 'serve':
      return serve();
    case 'sign':
      return signCommand(rest);
    default:
      throw new Error(`unknown command "${command}". Commands: serve, sign`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

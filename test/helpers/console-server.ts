/** A real local server with the console built into a temporary folder, for the browser tests. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildConsole } from '../../console/build.mjs';
import { createApp, type App } from '../../api/app.js';
import { startServer } from '../../api/local-server.js';
import { createPlatform, type Platform } from '../../core/compose.js';
import { loadConfig } from '../../core/config.js';
import { samplePhoto } from './images.js';

let built: Promise<string> | undefined;

/** Builds the console once per test process. */
export function builtConsole(): Promise<string> {
  built ??= (async () => (await buildConsole({ outdir: await mkdtemp(path.join(tmpdir(), 'shutter-console-dist-')) })).outdir)();
  return built;
}

export interface ConsoleServer {
  url: string;
  app: App;
  platform: Platform;
  dataDir: string;
  close(): Promise<void>;
}

export async function startConsoleServer(env: Record<string, string> = {}): Promise<ConsoleServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-e2e-'));
  const config = loadConfig({ SHUTTER_DATA_DIR: dataDir, CONSOLE_DIR: await builtConsole(), LOG_LEVEL: 'silent', PORT: '0', ...env });
  const platform = createPlatform(config);
  for (const name of ['astronaut', 'chelsea', 'coffee', 'rocket'] as const) {
    await platform.storage.put(config.sourceBuckets[0]!, `${name}.jpg`, samplePhoto(name), { contentType: 'image/jpeg' });
  }
  const app = createApp(platform);
  app.ready = true;
  const server = await startServer(app.handle, { port: 0, host: config.host });
  // The console answers on localhost by name (the API refuses other Host names without credentials).
  const url = server.url.replace('127.0.0.1', 'localhost');
  return { url, app, platform, dataDir, close: () => server.close() };
}

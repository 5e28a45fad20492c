/**
 * A real local server as `shutter serve` runs it (image API, local workflow engine, workflow and
 * moderation routes, console built into a temporary folder), for the browser tests.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { buildConsole } from '../../console/build.mjs';
import { createApp, type App } from '../../console/server/app.js';
import { startServer } from '../../api/local-server.js';
import { operatorRoutes } from '../../console/server/operator-routes.js';
import { AttentionAnalyzer } from '../../core/adapters/local/attention-analyzer.js';
import { TABLES } from '../../analytics/tables.js';
import { createPlatform, createQueryEngine, type Platform } from '../../core/compose.js';
import { loadConfig } from '../../core/config.js';
import type { Analyzer, ModerationResult, SubjectsResult } from '../../core/ports/analyzer.js';
import type { RenditionSets } from '../../core/renditions.js';
import { createLocalWorkflows, type LocalWorkflows } from '../../workflows/local-runtime.js';
import { samplePhoto } from './images.js';
import { silentLogger } from '../../core/observability/logger.js';

let built: Promise<string> | undefined;

/** Builds the console once per test process. */
export function builtConsole(): Promise<string> {
  built ??= (async () => (await buildConsole({ outdir: await mkdtemp(path.join(tmpdir(), 'shutter-console-dist-')) })).outdir)();
  return built;
}

/** Small presets, so the workflow renders in a moment on two cores, yet each shows in a browser. */
export const CONSOLE_RENDITIONS: RenditionSets = {
  default: [
    { name: 'thumbnail', width: 120, height: 120, fit: 'cover', formats: ['webp', 'jpeg'], withoutEnlargement: true },
    { name: 'small', width: 240, fit: 'inside', formats: ['avif', 'webp'], withoutEnlargement: true },
  ],
};

/**
 * Flags images of saturated red, the tests' synthetic ones (a stand-in for a moderation model,
 * which this machine has none of); finds subjects with libvips attention, as the local default does.
 */
export class RedFlagAnalyzer implements Analyzer {
  readonly name = 'red-flag-test-analyzer';
  private readonly subjects = new AttentionAnalyzer();

  async moderate(image: Buffer): Promise<ModerationResult> {
    // An image it cannot decode is no one's to judge here: the workflow's next task reports it.
    const stats = await sharp(image).stats().catch(() => undefined);
    const [r = 0, g = 0, b = 0] = stats?.channels.map((channel) => channel.mean) ?? [];
    const red = r > 180 && g < 50 && b < 50;
    return { analyzer: this.name, ms: 0, labels: red ? [{ name: 'Graphic Violence', parentName: 'Violence', confidence: 97.5 }] : [] };
  }

  detectSubjects(image: Buffer): Promise<SubjectsResult> {
    return this.subjects.detectSubjects(image);
  }
}

export interface ConsoleServer {
  url: string;
  app: App;
  platform: Platform;
  workflows: LocalWorkflows;
  dataDir: string;
  close(): Promise<void>;
}

export async function startConsoleServer(env: Record<string, string> = {}): Promise<ConsoleServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-e2e-'));
  const config = loadConfig({ SHUTTER_DATA_DIR: dataDir, CONSOLE_DIR: await builtConsole(), LOG_LEVEL: 'silent', PORT: '0', WATCH_UPLOADS: 'No', ...env });
  // Events go to the local JSON lines, which the analytics queries read.
  const platform = createPlatform(config, { analyzer: new RedFlagAnalyzer(), renditions: CONSOLE_RENDITIONS });
  for (const name of ['astronaut', 'chelsea', 'coffee', 'rocket'] as const) {
    await platform.storage.put(config.sourceBuckets[0]!, `${name}.jpg`, samplePhoto(name), { contentType: 'image/jpeg' });
  }
  const workflows = createLocalWorkflows(platform, { watch: false, sweep: false, pollMs: 100, log: silentLogger });
  const queries = createQueryEngine(config, TABLES);
  // The routes `shutter serve` mounts: workflow, moderation, delivery settings, analytics.
  const app = createApp(platform, operatorRoutes(platform, { workflows: { engine: workflows.engine, startUpload: workflows.startUpload }, queries }));
  app.ready = true;
  const server = await startServer(app.handle, { port: 0, host: config.host });
  // The console answers on localhost by name (the API refuses other Host names without credentials).
  const url = server.url.replace('127.0.0.1', 'localhost');
  return {
    url,
    app,
    platform,
    workflows,
    dataDir,
    async close() {
      await server.close();
      await workflows.close();
      await queries.close();
      await platform.events.close();
    },
  };
}

/** A real app over a temporary data folder, for handler-level tests. */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createApp, type App } from '../../console/server/app.js';
import type { HttpRequest, HttpResponse } from '../../api/http.js';
import { createPlatform, type Platform } from '../../core/compose.js';
import { loadConfig } from '../../core/config.js';

export interface TestApp {
  app: App;
  platform: Platform;
  dataDir: string;
  request(path: string, init?: Partial<HttpRequest>): Promise<HttpResponse & { bytes: Buffer }>;
}

type PlatformOverrides = NonNullable<Parameters<typeof createPlatform>[1]>;

/**
 * Apps built in this test file. Access records are sent in batches on an unref'd timer, so an app
 * left as it is sends its last batch (and imports the event sink) after jest has torn the file's
 * environment down: "import after teardown". Each file's apps hand their records over before it ends.
 */
const built: { app: App; platform: Platform }[] = [];
afterAll(async () => {
  for (const { app, platform } of built.splice(0)) {
    await app.flush();
    await platform.events.flush();
  }
});

/** `overrides` replaces adapters, given the app's data folder (e.g. a storage over it). */
export async function createTestApp(env: Record<string, string> = {}, overrides: (dataDir: string) => PlatformOverrides = () => ({})): Promise<TestApp> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-app-'));
  await mkdir(path.join(dataDir, 'buckets', 'images'), { recursive: true });
  // The attention analyzer keeps handler tests fast; the models have their own tests (test/core/adapters).
  const config = loadConfig({ SHUTTER_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ANALYZER: 'attention', ...env });
  const platform = createPlatform(config, overrides(dataDir));
  const app = createApp(platform);
  app.ready = true;
  built.push({ app, platform });
  return {
    app,
    platform,
    dataDir,
    async request(fullPath, init = {}) {
      const [pathPart = '/', search = ''] = fullPath.split('?', 2);
      const query = Object.fromEntries(new URLSearchParams(search));
      const response = await app.handle({ method: 'GET', path: pathPart, query, headers: {}, ...init });
      const body = response.body;
      // Pass-through answers stream from storage: read them whole, as a client would.
      const bytes = body instanceof Readable ? Buffer.concat(await body.toArray()) : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : '');
      return { ...response, bytes };
    },
  };
}

export async function writeSecret(dataDir: string, name: string, value: Record<string, string>): Promise<void> {
  await mkdir(path.join(dataDir, 'secrets'), { recursive: true });
  await writeFile(path.join(dataDir, 'secrets', `${name}.json`), JSON.stringify(value));
}

export const base64Path = (request: Record<string, unknown>) => `/${Buffer.from(JSON.stringify(request)).toString('base64')}`;

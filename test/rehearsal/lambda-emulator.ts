/**
 * One deployed function, run as Lambda runs it: the AWS Lambda Runtime Interface Emulator
 * (`aws-lambda-rie`, built from its Go module by test/services/install.sh) starts Node with the
 * npm runtime interface client (`aws-lambda-ric`), which loads the handler from the asset folder.
 *
 * - The task root is read-only: in a private mount namespace (`unshare --mount`) the asset folder
 *   is bind-mounted read-only onto itself, and a fresh scratch folder is bind-mounted on /tmp,
 *   the only place a function may write (as in Lambda, 512 MB there by default).
 * - The function's timeout is the emulator's (`AWS_LAMBDA_FUNCTION_TIMEOUT`); its memory is
 *   enforced by a watchdog on the process group's resident memory (the emulator only reports it)
 *   plus V8's heap limit, as Lambda's Node runtime sets it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { DeployedFunction } from './cloud-assembly.js';

const root = path.resolve(import.meta.dirname, '../..');
/** Where test/services/install.sh puts the emulator it builds. */
export const RIE_BINARY = path.join(root, '.cache/rie/aws-lambda-rie');
const RIC = path.join(root, 'node_modules/aws-lambda-ric/index.mjs');
/** Where the host's /tmp stays visible inside a function's namespace, whose own /tmp is private. */
const HOST_TMP = '/mnt';

export interface Invocation {
  payload: unknown;
  /** `Unhandled` when the handler threw (the payload is then `{ errorType, errorMessage }`). */
  functionError?: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resident memory of a process and its children, in MB (Linux /proc). */
function residentMb(pid: number): number {
  let kb = 0;
  const visit = (id: number) => {
    try {
      const status = readFileSync(`/proc/${id}/status`, 'utf8');
      kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      for (const task of readdirSync(`/proc/${id}/task`)) {
        const children = readFileSync(`/proc/${id}/task/${task}/children`, 'utf8').trim();
        for (const child of children ? children.split(/\s+/) : []) visit(Number(child));
      }
    } catch {
      // the process ended meanwhile
    }
  };
  visit(pid);
  return kb / 1024;
}

export class EmulatedFunction {
  private process: ChildProcess | undefined;
  private port = 0;
  private scratch = '';
  private watchdog: NodeJS.Timeout | undefined;
  private output = '';
  private queue: Promise<unknown> = Promise.resolve();
  /** Why the emulator was stopped from outside (memory), if it was. */
  killedFor: string | undefined;
  peakMb = 0;

  constructor(
    readonly fn: DeployedFunction,
    /** The asset folder to run (the deployed one, or its x86_64 variant). */
    private readonly taskRoot: string,
    /** The function's environment, resolved to the local services. */
    private readonly environment: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    if (!existsSync(RIE_BINARY)) throw new Error(`${RIE_BINARY} is missing: run test/services/install.sh (it builds the emulator with go install)`);
    this.port = await freePort();
    const runtimeApi = await freePort();
    this.scratch = mkdtempSync(path.join(os.tmpdir(), `rehearsal-${this.fn.name}-tmp-`));
    const { memoryMb, timeoutSeconds, handler } = this.fn;
    // The function's private /tmp covers the host's: a checkout under /tmp (CI's clone may be one)
    // stays reachable through the host's /tmp, bound first onto /mnt inside the namespace.
    const hostTmp = os.tmpdir();
    const visible = (file: string) => (file === hostTmp || file.startsWith(`${hostTmp}/`) ? `${HOST_TMP}${file.slice(hostTmp.length)}` : file);
    const taskRoot = visible(this.taskRoot);
    const script = [
      'set -e',
      'mount --make-rprivate /',
      `mount --bind "${hostTmp}" ${HOST_TMP}`,
      `mount --bind "${this.scratch}" /tmp`,
      `mount --bind "${taskRoot}" "${taskRoot}"`,
      `mount -o remount,bind,ro "${taskRoot}"`,
      `cd "${taskRoot}"`,
      `exec "${visible(RIE_BINARY)}" --log-level error --runtime-interface-emulator-address 127.0.0.1:${this.port} --runtime-api-address 127.0.0.1:${runtimeApi} "${visible(process.execPath)}" "${visible(RIC)}" "${handler}"`,
    ].join('\n');
    this.process = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
      env: {
        PATH: `${path.dirname(visible(process.execPath))}:/usr/local/bin:/usr/bin:/bin`,
        LANG: 'en_US.UTF-8',
        TZ: ':UTC',
        ...this.environment,
        LAMBDA_TASK_ROOT: taskRoot,
        LAMBDA_RUNTIME_DIR: taskRoot,
        _HANDLER: handler,
        AWS_EXECUTION_ENV: `AWS_Lambda_${this.fn.runtime}`,
        AWS_LAMBDA_FUNCTION_NAME: this.fn.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_LAMBDA_FUNCTION_TIMEOUT: String(timeoutSeconds),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        // Lambda's Node runtime caps V8's heap below the function's memory.
        NODE_OPTIONS: [this.environment.NODE_OPTIONS, `--max-old-space-size=${Math.floor(memoryMb * 0.9)}`].filter(Boolean).join(' '),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.process.stdout!.on('data', keep);
    this.process.stderr!.on('data', keep);
    this.watchdog = setInterval(() => {
      const mb = residentMb(this.process!.pid!);
      this.peakMb = Math.max(this.peakMb, mb);
      if (mb > memoryMb) {
        this.killedFor = `Runtime.OutOfMemory: ${Math.round(mb)} MB used, ${memoryMb} MB allowed`;
        this.stop();
      }
    }, 100);
    // The emulator answers once it listens (the runtime itself starts on the first invoke, like a cold start).
    const deadline = Date.now() + 120_000; // a deadline, generous for a busy machine
    for (;;) {
      try {
        await fetch(`http://127.0.0.1:${this.port}/`);
        return;
      } catch {
        if (this.process.exitCode !== null || Date.now() > deadline) throw new Error(`${this.fn.name}: the emulator did not start\n${this.output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /**
   * Invokes the function once (RequestResponse), as Lambda's Invoke API would. One execution
   * environment runs one invocation at a time: concurrent calls (a Map state) wait their turn
   * here, where Lambda would start more environments.
   */
  invoke(payload: unknown): Promise<Invocation> {
    const turn = this.queue.then(() => this.invokeNow(payload));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async invokeNow(payload: unknown): Promise<Invocation> {
    const response = await fetch(`http://127.0.0.1:${this.port}/2015-03-31/functions/function/invocations`, {
      method: 'POST',
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout((this.fn.timeoutSeconds + 30) * 1000),
    }).catch((error: Error) => {
      throw new Error(`${this.fn.name}: invoke failed (${error.message}${error.cause ? `: ${String(error.cause)}` : ''})\n${this.output.slice(-1500)}`);
    });
    const text = await response.text();
    if (this.killedFor) throw new Error(`${this.fn.name}: ${this.killedFor}`);
    const body = text ? (JSON.parse(text) as unknown) : null;
    const errorType = (body as { errorType?: string } | null)?.errorType;
    return { payload: body, ...(response.headers.get('x-amz-function-error') || errorType ? { functionError: response.headers.get('x-amz-function-error') ?? 'Unhandled' } : {}) };
  }

  /** The emulator's and the function's recent output (for a failed scenario's report). */
  logs(): string {
    return this.output;
  }

  stop(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.process?.pid && this.process.exitCode === null) {
      try {
        process.kill(-this.process.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
  }
}

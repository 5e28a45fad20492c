/**
 * The one place that decides when shutter gives memory back: once it has been idle (no work in
 * flight) for `idleMs` after some work, it releases what the work left (a full GC, then glibc's
 * malloc_trim: `release-memory.ts`). A burst of renders leaves freed pixel buffers and Buffers that
 * neither V8 nor glibc returns by itself while nothing new is allocated; a release blocks the main
 * thread (tens of ms on a small heap, a few hundred after a bulk burst), so it runs only in a
 * pause, once per pause, never in a burst.
 *
 * Work is whatever the caller wraps: the local server's requests, the workflow's task invocations.
 * Memory freed later, outside that work, asks for another release too: a worker thread that exits
 * (the analysis models' worker ends after ANALYSIS_WORKER_IDLE_SECONDS; their tensors and the
 * buffers of their last jobs go with it), seen on Node's `worker_threads` diagnostics channel.
 *
 * @example
 *   const idle = new IdleMemory({ idleMs: 10_000, log });
 *   const handle = idle.wrap(app.handle); // each request is work; 10 s after the last, memory goes back
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Worker } from 'node:worker_threads';
import { DEFAULTS } from '../limits.js';
import type { Logger } from '../observability/logger.js';
import { releaseMemory, type Released } from './release-memory.js';

/** The clock the trigger waits on (injected by tests). */
export interface IdleTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

export interface IdleMemoryOptions {
  /** How long without work in flight before memory goes back (MEMORY_IDLE_SECONDS); 0 never. */
  idleMs: number;
  /** What giving memory back does (default: a full GC, then malloc_trim where glibc runs). */
  release?: () => Promise<Released>;
  timers?: IdleTimers;
  log?: Pick<Logger, 'debug' | 'warn'>;
  /** A worker thread's exit asks for a release after the idle time (default true). */
  watchWorkers?: boolean;
  /**
   * After the first release, a pause releases again only if RSS has grown this much since the last
   * one (default DEFAULTS.memoryReleaseMinGrowthMb); a worker's exit (`touch`) releases regardless.
   */
  minGrowthMb?: number;
  /** The process's RSS in MB (injected by tests). */
  rssMb?: () => number;
}

/** Node publishes each new worker thread here (worker_threads' diagnostics channel). */
const WORKER_CHANNEL = 'worker_threads';

const nodeTimers: IdleTimers = {
  // Unref'd: a pending release never keeps the process alive.
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

export class IdleMemory {
  private inFlight = 0;
  private timer: unknown;
  /** A pending release that skips the growth check (a worker thread exited). */
  private forced = false;
  private readonly rssMb: () => number;
  private closed = false;
  private readonly timers: IdleTimers;
  private readonly release: () => Promise<Released>;
  /** Releases done so far (each after a pause that followed some work). */
  releases = 0;
  /** The last release's figures. */
  last: Released | undefined;

  constructor(private readonly options: IdleMemoryOptions) {
    this.timers = options.timers ?? nodeTimers;
    this.release = options.release ?? (() => releaseMemory());
    this.rssMb = options.rssMb ?? (() => process.memoryUsage.rss() / (1024 * 1024));
    if (options.idleMs > 0 && options.watchWorkers !== false) subscribe(WORKER_CHANNEL, this.onWorker);
  }

  private readonly onWorker = (message: unknown) => {
    (message as { worker: Worker }).worker.once('exit', () => this.touch());
  };

  /** Work starts now; the function returned says it ended (a second call does nothing). */
  begin(): () => void {
    this.inFlight++;
    this.cancel();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      this.arm(false);
    };
  }

  /** `fn` whose every call counts as work until its promise settles. */
  wrap<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    if (this.options.idleMs <= 0) return fn;
    return async (...args: A) => {
      const end = this.begin();
      try {
        return await fn(...args);
      } finally {
        end();
      }
    };
  }

  /**
   * Something freed memory outside the work counted here (the models' worker ended): when nothing
   * is in flight, a release follows after the idle time (again, if one already ran).
   */
  touch(): void {
    this.arm(true);
  }

  /** A release after the idle time; `force`d ones skip the growth check (memory was freed, not grown). */
  private arm(force: boolean): void {
    if (this.closed || this.options.idleMs <= 0 || this.inFlight > 0) return;
    this.forced ||= force;
    this.cancel();
    this.timer = this.timers.setTimeout(() => void this.fire(), this.options.idleMs);
  }

  /** No release after this (a pending one is cancelled). */
  close(): void {
    this.closed = true;
    this.cancel();
    unsubscribe(WORKER_CHANNEL, this.onWorker);
  }

  private cancel(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async fire(): Promise<void> {
    this.timer = undefined;
    if (this.closed || this.inFlight > 0) return;
    const forced = this.forced;
    this.forced = false;
    const grown = this.last === undefined || this.rssMb() - this.last.rssAfterMb >= (this.options.minGrowthMb ?? DEFAULTS.memoryReleaseMinGrowthMb);
    if (!forced && !grown) return;
    try {
      this.last = await this.release();
      this.releases++;
      const { rssBeforeMb, rssAfterMb, gc, trimmed, ms, trimMs } = this.last;
      this.options.log?.debug({ rssBeforeMb: Math.round(rssBeforeMb), rssAfterMb: Math.round(rssAfterMb), gc, trimmed, ms: Math.round(ms), trimMs: Math.round(trimMs) }, 'idle: memory given back');
    } catch (error) {
      // Giving memory back is an optimisation: a failure is logged, never thrown into the idle process.
      this.options.log?.warn({ error: String(error) }, 'idle: giving memory back failed');
    }
  }
}

/** What every scenario gets from the runner: mode, sizes, inputs, and where to put its rows. */
import type { App } from '../api/image-app.js';
import type { Platform } from '../core/compose.js';
import type { Inputs } from './inputs.js';
import type { Job } from './jobs.js';
import type { Report, Row } from './report.js';

export interface BenchContext {
  smoke: boolean;
  /** Measured rounds per comparison (plus one warm-up). */
  rounds: number;
  /** Requests (or images) in flight at once: one per core. */
  concurrency: number;
  inputs: Inputs;
  /** A shutter data folder whose `images` bucket is the input folder. */
  dataDir: string;
  /** The jobs, scaled for smoke runs. */
  jobs: Job[];
  /** How many images or requests one measurement runs for a job. */
  count(job: Job): number;
  /** Whether to run the peers (full runs; smoke runs only with --peers). */
  peers: boolean;
  report: Report;
  add(row: Row): void;
  skip(what: string, why: string): void;
  log(message: string): void;
  /**
   * shutter in process over `dataDir` (samples not seeded, the rest as `env` says),
   * ready to answer; the runner flushes and closes it when the run ends (its event sink holds an
   * open file, which Node would otherwise close on garbage collection, with a DEP0137 warning).
   */
  shutter(env?: Record<string, string>): { platform: Platform; app: App };
}

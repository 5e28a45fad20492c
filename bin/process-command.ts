/**
 * `shutter process <dir> [--prefix p] [--set s]`: uploads every file of a folder (recursively,
 * in name order) into the uploads bucket, starts the image workflow for each, and waits with a
 * progress bar until all have ended. Runs the local engine in this process; executions are
 * named after bucket, key and ETag, so running it again (after a crash, say) resumes the
 * unfinished ones and starts nothing for the finished.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Platform } from '../core/compose.js';
import { TERMINAL_STATUSES, type ExecutionStatus } from '../core/ports/workflow-engine.js';
import { createLocalWorkflows } from '../workflows/local-runtime.js';
import { progressBar } from './progress-bar.js';
import { silentLogger } from '../core/observability/logger.js';

export async function processFolder(
  platform: Platform,
  dir: string,
  options: { prefix?: string; set?: string; quiet?: boolean } = {},
): Promise<{ total: number; succeeded: number; failed: Array<{ key: string; status: ExecutionStatus; error?: string; cause?: string }> }> {
  const files = (await listFiles(path.resolve(dir))).sort();
  const workflows = createLocalWorkflows(platform, { watch: false, sweep: false, log: silentLogger });
  const { engine } = workflows;
  const bar = options.quiet ? undefined : progressBar();
  try {
    const uploads = platform.config.workflow.buckets.uploads;
    const started: Array<{ key: string; executionArn: string }> = [];
    for (const file of files) {
      const relative = path.relative(dir, file).split(path.sep).join('/');
      const key = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/${relative}` : relative;
      const { etag } = await platform.storage.put(uploads, key, createReadStream(file));
      const execution = await workflows.startUpload(key, etag);
      started.push({ key, executionArn: execution.executionArn });
    }
    const pending = new Map(started.map((item) => [item.executionArn, item.key]));
    const progress = { total: started.length, succeeded: 0, failed: 0 };
    const failed: Array<{ key: string; status: ExecutionStatus; error?: string; cause?: string }> = [];
    const settle = async (arn: string) => {
      const key = pending.get(arn);
      if (key === undefined) return;
      const description = await engine.describe(arn);
      if (!TERMINAL_STATUSES.includes(description.status) || !pending.has(arn)) return;
      pending.delete(arn);
      if (description.status === 'SUCCEEDED') progress.succeeded++;
      else {
        progress.failed++;
        failed.push({ key, status: description.status, ...(description.error ? { error: description.error } : {}), ...(description.cause ? { cause: description.cause } : {}) });
      }
      bar?.update(progress);
    };
    engine.events.on('settled', (event: { executionArn: string }) => void settle(event.executionArn));
    for (const arn of [...pending.keys()]) await settle(arn); // finished in an earlier run
    while (pending.size) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const arn of [...pending.keys()]) await settle(arn); // settled by another process sharing the store
    }
    bar?.done(progress);
    return { total: started.length, succeeded: progress.succeeded, failed };
  } finally {
    await workflows.close();
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}

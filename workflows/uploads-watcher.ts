/**
 * Watches the local uploads bucket's folder: a file dropped in (by hand, rsync, a camera app)
 * starts the workflow once it has stopped changing. At start it also reconciles: every upload
 * without an execution gets one, so an upload accepted just before a crash is never dropped.
 * Starts are idempotent by name, so seeing a file twice (watch event and reconcile, or the
 * upload route's own start) costs nothing.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { WORKFLOW } from '../core/limits.js';
import { listAll, type Storage } from '../core/ports/storage.js';

export interface UploadsWatcher {
  /** Resolves once the start-up reconcile has started every upload present. */
  ready: Promise<{ reconciled: number }>;
  close(): void;
}

export function watchUploads(options: {
  storage: Storage;
  bucket: string;
  /** The bucket's folder on disk. */
  dir: string;
  start: (key: string) => Promise<unknown>;
  onError?: (error: unknown, key: string) => void;
  settleMs?: number;
}): UploadsWatcher {
  const settleMs = options.settleMs ?? WORKFLOW.watchSettleMs;
  const pending = new Map<string, NodeJS.Timeout>();
  let closed = false;
  const report = (error: unknown, key: string) => options.onError?.(error, key);

  const schedule = (key: string) => {
    clearTimeout(pending.get(key));
    pending.set(
      key,
      setTimeout(() => {
        pending.delete(key);
        void settle(key);
      }, settleMs),
    );
  };
  const settle = async (key: string) => {
    if (closed) return;
    const file = path.join(options.dir, ...key.split('/'));
    const before = await stat(file).catch(() => undefined);
    if (!before?.isFile()) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(settleMs, 100)));
    const after = await stat(file).catch(() => undefined);
    if (!after || after.size !== before.size || after.mtimeMs !== before.mtimeMs) return schedule(key); // still being written
    await options.start(key).catch((error: unknown) => report(error, key));
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(options.dir, { recursive: true, persistent: false }, (_event, filename) => {
      if (!filename || closed) return;
      const key = filename.split(path.sep).join('/');
      // Hidden files are editors' and copiers' temporaries, not uploads.
      if (key.split('/').some((segment) => segment.startsWith('.'))) return;
      schedule(key);
    });
    watcher.on('error', (error) => report(error, options.dir));
  } catch (error) {
    report(error, options.dir);
  }

  const ready = (async () => {
    let reconciled = 0;
    for await (const object of listAll(options.storage, options.bucket)) {
      if (closed) break;
      await options.start(object.key).then(
        () => reconciled++,
        (error: unknown) => report(error, object.key),
      );
    }
    return { reconciled };
  })();

  return {
    ready,
    close() {
      closed = true;
      watcher?.close();
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
    },
  };
}

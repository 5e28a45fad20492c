/**
 * Crash safety: an execution left RUNNING by an engine that is gone (its process died, or it
 * was closed without requeueing) is queued again as a redrive, or failed visibly after
 * `maxRecoveries` restarts so a poison image cannot loop forever.
 *
 * An owner is `<pid>:<engine id>`: another pid is alive when the OS says so; our own pid is alive
 * while that engine is registered here, so two engines in one process tell each other apart.
 */
import { appendHistoryEvent } from './history-events.js';
import type { SqliteExecutionStore } from './sqlite-execution-store.js';

/** Engines alive in this process. */
const LIVE_ENGINES = new Set<string>();

/** A new owner id for an engine of this process, alive until {@link releaseOwner}. */
export function registerOwner(id: string): string {
  LIVE_ENGINES.add(id);
  return `${process.pid}:${id}`;
}

export function releaseOwner(owner: string): void {
  LIVE_ENGINES.delete(owner.split(':')[1]!);
}

export function isOwnerAlive(owner: string): boolean {
  const [pidText, instance] = owner.split(':');
  const pid = Number(pidText);
  if (pid === process.pid) return LIVE_ENGINES.has(instance ?? '');
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Redrives executions whose engine is gone, or fails them after too many restarts. */
export function recoverOrphans(store: SqliteExecutionStore, maxRecoveries: number): void {
  for (const orphan of store.orphans(isOwnerAlive)) {
    if (orphan.recoveries >= maxRecoveries) {
      const cause = `The process running this execution stopped ${orphan.recoveries + 1} times; it is not retried again.`;
      store.finish(orphan.seq, 'FAILED', { error: 'Shutter.ProcessCrashed', cause }, Date.now());
      appendHistoryEvent(store, orphan.seq, store.lastEventId(orphan.seq) + 1, 'ExecutionFailed', {
        executionFailedEventDetails: { error: 'Shutter.ProcessCrashed', cause },
      });
    } else {
      store.recoverOrphan(orphan.seq);
    }
  }
}

/**
 * Group commit: callers hand over items and wait; one writer at a time takes everything queued
 * so far and makes it durable in one go (one write and one fsync for many callers). Throughput
 * grows with load instead of paying an fsync per caller, and each caller still resolves only
 * once its own items are on disk.
 */
export class GroupCommit<T> {
  private queue: Array<{ items: readonly T[]; resolve: () => void; reject: (error: unknown) => void }> = [];
  private writing = false;

  /** `commit` receives every item queued since the last commit, in arrival order. */
  constructor(private readonly commit: (items: T[]) => Promise<void>) {}

  submit(items: readonly T[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length) {
      const group = this.queue;
      this.queue = [];
      try {
        await this.commit(group.flatMap((entry) => entry.items));
        for (const entry of group) entry.resolve();
      } catch (error) {
        for (const entry of group) entry.reject(error);
      }
    }
    this.writing = false;
  }
}

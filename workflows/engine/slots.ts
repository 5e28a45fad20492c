/**
 * The engine's slots: at most `concurrency` executions make progress at once. An execution that
 * waits for a task token gives its slot up (a wait costs nothing in Step Functions either), so
 * executions waiting for an operator never hold up the queue; once answered it takes a slot
 * again before its next state, ahead of queued executions: it was admitted first.
 */
export class Slots {
  /** Running executions waiting for a task token: they hold no slot. */
  private readonly parked = new Set<number>();
  /** Answered executions waiting for a slot to go on, first come first served. */
  private readonly resumers: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    /** How many executions run in this engine, parked ones included. */
    private readonly running: () => number,
    /** Called when a slot may have come free for a queued execution. */
    private readonly onFree: () => void,
  ) {}

  /** Whether a queued execution may start now. */
  free(): boolean {
    return this.active() < this.concurrency;
  }

  /** Hands free slots to answered executions first; call before starting queued ones. */
  grantResumers(): void {
    while (this.resumers.length && this.free()) this.resumers.shift()!();
  }

  /** Gives up the slot of an execution that waits for an operator, and lets a queued one have it. */
  park(seq: number): void {
    this.parked.add(seq);
    this.onFree();
  }

  /** Takes a slot again: at once when one is free, else as the next to be freed. A stopped execution ends without one. */
  async unpark(seq: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.free()) {
      this.parked.delete(seq);
      return;
    }
    await new Promise<void>((resolve) => {
      const grant = () => {
        signal.removeEventListener('abort', grant);
        const waiting = this.resumers.indexOf(grant);
        if (waiting !== -1) this.resumers.splice(waiting, 1);
        this.parked.delete(seq);
        resolve();
      };
      this.resumers.push(grant);
      signal.addEventListener('abort', grant);
    });
  }

  /** Forgets an execution that has ended. */
  release(seq: number): void {
    this.parked.delete(seq);
  }

  /** Executions holding a slot: running, and not parked on a task token. */
  private active(): number {
    return this.running() - this.parked.size;
  }
}

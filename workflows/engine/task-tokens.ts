/**
 * Task tokens (`.waitForTaskToken`): a token is opened when its state first runs, and settled by
 * `sendTaskSuccess`/`Failure` from this process or another one sharing the store. A waiter here
 * wakes at once when the answer comes from this process, else at the next poll.
 */
import { NotFoundError } from '../../core/errors.js';
import type { SqliteExecutionStore, TokenRow } from './sqlite-execution-store.js';
import { TaskError } from './task-error.js';

export type TokenAnswer = { status: 'succeeded'; output: string } | { status: 'failed'; error: string; cause?: string };

export class TaskTokens {
  private readonly waiters = new Map<string, () => void>();

  constructor(
    private readonly store: SqliteExecutionStore,
    private readonly pollMs: number,
  ) {}

  /**
   * Registers the token of a state about to wait, keeping one that exists (a restart keeps the
   * operator's token valid). A token failed in an earlier run is asked again: that is a redrive.
   */
  open(token: string, seq: number, stateName: string): TokenRow {
    const row = this.store.openToken(token, seq, stateName);
    if (row.status !== 'failed') return row;
    this.store.reopenToken(token);
    return { ...row, status: 'waiting' };
  }

  /** Records the operator's answer; throws when no task waits for this token. */
  settle(token: string, answer: TokenAnswer): void {
    if (!this.store.settleToken(token, answer)) {
      throw new NotFoundError('TaskDoesNotExist', 'No task is waiting for this token (unknown, or decided already).');
    }
    this.waiters.get(token)?.();
  }

  /** Resolves with the token once it is answered; rejects when `signal` aborts. */
  async wait(token: string, signal: AbortSignal): Promise<TokenRow> {
    for (;;) {
      const row = this.store.token(token);
      if (!row) throw new TaskError('States.Runtime', 'The task token has vanished.');
      if (row.status !== 'waiting') return row;
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, this.pollMs);
        function finish() {
          clearTimeout(timer);
          signal.removeEventListener('abort', finish);
          resolve();
        }
        this.waiters.set(token, finish);
        signal.addEventListener('abort', finish);
      });
      this.waiters.delete(token);
    }
  }
}

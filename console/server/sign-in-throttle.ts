/**
 * Slows credential guessing on the console down per client and per account, with backoff,
 * where one process-wide counter let ten bad attempts lock every operator out.
 *
 * - A client (its address, see `clientAddressOf`) may fail a few times (typos); after that each
 *   failure doubles how long it must wait before its next attempt, up to a ceiling.
 * - An account (the user name tried, or `token`) is counted the same way across all clients,
 *   with more room, so many addresses guessing one password slow each other down.
 * - An account's wait holds only clients that have failed themselves: an operator who has not
 *   mistyped still gets in while others guess at their account (no lock-out by strangers).
 * - Failures are forgotten after a quiet window; memory is bounded (least recently seen go first).
 */
import { LRUCache } from 'lru-cache';
import { LIMITS } from '../../core/limits.js';

interface Failures {
  count: number;
  /** When the last failure happened. */
  last: number;
  /** No attempt before this time. */
  until: number;
}

export interface SignInThrottleOptions {
  freePerClient: number;
  freePerAccount: number;
  baseMs: number;
  maxMs: number;
  windowMs: number;
  /** Clients and accounts remembered at most. */
  entries: number;
}

const DEFAULT_OPTIONS: SignInThrottleOptions = {
  freePerClient: LIMITS.consoleFailuresPerClient,
  freePerAccount: LIMITS.consoleFailuresPerAccount,
  baseMs: LIMITS.consoleBackoffBaseMs,
  maxMs: LIMITS.consoleBackoffMaxMs,
  windowMs: LIMITS.consoleFailureWindowMs,
  entries: 10_000,
};

export class SignInThrottle {
  private readonly options: SignInThrottleOptions;
  private readonly clients: LRUCache<string, Failures>;
  private readonly accounts: LRUCache<string, Failures>;

  constructor(
    options: Partial<SignInThrottleOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.clients = new LRUCache({ max: this.options.entries });
    this.accounts = new LRUCache({ max: this.options.entries });
  }

  /** Milliseconds `client` must wait before trying `account` again; 0 when it may try now. */
  wait(client: string, account: string): number {
    const own = this.current(this.clients, client);
    if (!own) return 0; // never failed (lately): not held by anyone else's guessing
    const shared = this.current(this.accounts, account);
    return Math.max(0, own.until - this.now(), (shared?.until ?? 0) - this.now());
  }

  failed(client: string, account: string): void {
    this.record(this.clients, client, this.options.freePerClient);
    this.record(this.accounts, account, this.options.freePerAccount);
  }

  /** A success forgives the client's failures (the account's stay: others may still be guessing). */
  succeeded(client: string): void {
    this.clients.delete(client);
  }

  private current(table: LRUCache<string, Failures>, name: string): Failures | undefined {
    const entry = table.get(name);
    if (entry && this.now() - entry.last > this.options.windowMs) {
      table.delete(name);
      return undefined;
    }
    return entry;
  }

  private record(table: LRUCache<string, Failures>, name: string, free: number): void {
    const now = this.now();
    const entry = this.current(table, name) ?? { count: 0, last: now, until: 0 };
    entry.count++;
    entry.last = now;
    if (entry.count > free) entry.until = now + Math.min(this.options.maxMs, this.options.baseMs * 2 ** (entry.count - free - 1));
    table.set(name, entry);
  }
}

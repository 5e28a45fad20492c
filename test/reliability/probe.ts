/**
 * Sends one hostile request and judges the answer against the properties every answer to client
 * input must have: no 5xx (bar the documented 501 for a feature configured off), no exception
 * escaping the handler, no hang past the request timeout, and a JSON error with a known code.
 */
import { Readable } from 'node:stream';
import type { App } from '../../console/server/app.js';
import type { HttpRequest, HttpResponse } from '../../api/http.js';
import { KNOWN_CODES, NOT_AVAILABLE_CODES } from './known-codes.js';

export interface Outcome {
  status: number;
  code?: string;
  /** Set when the answer broke a property; the text says which. */
  violation?: string;
  contentType?: string;
}

const HANG = Symbol('hang');

/** Judges one response (in-process or over HTTP) against the client-input properties. */
export function judge(status: number, headers: Record<string, string>, body: Buffer | string | undefined): Outcome {
  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  const outcome: Outcome = { status, ...(contentType ? { contentType } : {}) };
  if (status >= 400) {
    try {
      const parsed = JSON.parse(Buffer.isBuffer(body) ? body.toString('utf8') : String(body ?? '')) as { status?: number; code?: string; message?: string };
      outcome.code = parsed.code;
      if (parsed.status !== status || typeof parsed.message !== 'string') outcome.violation = `error body does not match its status: ${JSON.stringify(parsed)}`;
      else if (!parsed.code || !KNOWN_CODES.has(parsed.code)) outcome.violation = `unknown error code ${parsed.code}`;
    } catch {
      outcome.violation = `error body is not JSON (${contentType})`;
    }
  } else if (status === 200 && !contentType?.startsWith('image/') && !contentType?.startsWith('application/json')) {
    outcome.violation = `200 with content type ${contentType}`;
  }
  const notAvailable = status === 501 && (NOT_AVAILABLE_CODES as readonly string[]).includes(outcome.code ?? '');
  if (status >= 500 && !notAvailable && !outcome.violation) outcome.violation = `server error ${status} ${outcome.code} for client input`;
  return outcome;
}

/** Runs one request through the app, in process, with a hang guard of `timeoutMs`. */
export async function probe(app: App, request: Partial<HttpRequest> & { path: string }, timeoutMs: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  try {
    // A streamed body (a source passed through) is read to its end, as the server would: left
    // unread it held its file open, and a long fuzz run ran out of file descriptors (EMFILE).
    const answer = async (): Promise<HttpResponse> => {
      const response = await app.handle({ method: 'GET', query: {}, headers: {}, ...request });
      return response.body instanceof Readable ? { ...response, body: Buffer.concat(await response.body.toArray()) } : response;
    };
    const response = await Promise.race<HttpResponse | typeof HANG>([answer(), new Promise<typeof HANG>((resolve) => (timer = setTimeout(() => resolve(HANG), timeoutMs)))]);
    if (response === HANG) return { status: 0, violation: `no answer within ${timeoutMs} ms` };
    const body = response.body;
    return judge(response.status, response.headers, Buffer.isBuffer(body) || typeof body === 'string' ? body : undefined);
  } catch (error) {
    return { status: 0, violation: `the handler threw: ${String((error as Error)?.stack ?? error)}` };
  } finally {
    clearTimeout(timer);
  }
}

/** `probe` for a URL with its query string, split as the local server splits it. */
export function probeUrl(app: App, url: string, timeoutMs: number, init: Partial<HttpRequest> = {}): Promise<Outcome> {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const query = queryStart === -1 ? {} : Object.fromEntries(new URLSearchParams(url.slice(queryStart + 1)));
  return probe(app, { ...init, path, query }, timeoutMs);
}

/** Counts outcomes per category, for the assertions and the report. */
export class Tally {
  cases = 0;
  success = 0;
  clientErrors = 0;
  notAvailable = 0;
  serverErrors = 0;
  crashes = 0;
  hangs = 0;
  readonly codes = new Map<string, number>();
  readonly violations: string[] = [];

  add(outcome: Outcome): void {
    this.cases++;
    if (outcome.status === 0 && outcome.violation?.startsWith('no answer')) this.hangs++;
    else if (outcome.status === 0) this.crashes++;
    else if (outcome.status < 400) this.success++;
    else if (outcome.status < 500) this.clientErrors++;
    else if (outcome.status === 501 && !outcome.violation) this.notAvailable++;
    else this.serverErrors++;
    if (outcome.code) this.codes.set(outcome.code, (this.codes.get(outcome.code) ?? 0) + 1);
    if (outcome.violation && this.violations.length < 20) this.violations.push(outcome.violation);
  }

  merge(other: Tally): void {
    this.cases += other.cases;
    this.success += other.success;
    this.clientErrors += other.clientErrors;
    this.notAvailable += other.notAvailable;
    this.serverErrors += other.serverErrors;
    this.crashes += other.crashes;
    this.hangs += other.hangs;
    for (const [code, count] of other.codes) this.codes.set(code, (this.codes.get(code) ?? 0) + count);
    this.violations.push(...other.violations.slice(0, 20 - this.violations.length));
  }

  /** The most frequent codes, `code ×n`, for the report. */
  topCodes(count = 4): string {
    return [...this.codes.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([code, n]) => `${code} ×${n}`)
      .join(', ');
  }

  /** The report row: cases and outcomes. */
  row(extra: Record<string, string | number> = {}): Record<string, string | number> {
    return {
      cases: this.cases,
      '2xx/3xx': this.success,
      '4xx': this.clientErrors,
      '501 (feature off)': this.notAvailable,
      '5xx': this.serverErrors,
      crashes: this.crashes,
      hangs: this.hangs,
      'distinct codes': this.codes.size,
      'most frequent codes': this.topCodes(),
      ...extra,
    };
  }
}

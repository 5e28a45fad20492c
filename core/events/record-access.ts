/**
 * The access record of the on-demand API: one `image.request.served` event per sampled request.
 * The image handler calls the recorder after each answer, synchronously and without awaiting
 * delivery: sampling is one `Math.random()`, and a sampled record is kept as it is, with its time.
 * It becomes an event (built and validated) with the rest of its batch, after the answer is on its
 * way: the validation costs a cache hit a third of its time otherwise, and built one by one between
 * renders, whose libvips threads have filled the CPU caches in between, the records cost a small
 * render ~1 % of its CPU (bench/README.md, session 5); built together, they run hot. A record that
 * cannot be published is counted and dropped, never allowed to fail or slow down the request it
 * describes.
 *
 * What a client controls is bounded: a record keeps at most `LIMITS.accessRecordChars` of the
 * path and key (a real image URL is far shorter), and errors beyond `DEFAULTS.accessErrorsPerSecond`
 * in one second are sampled at `DEFAULTS.accessErrorFloodSampleRate`. Each record carries the rate
 * it was kept at (`sample_rate`), so the dashboards' counts (which weigh by 1 / sample_rate) stay
 * right while a flood of 400s costs a hundredth of its records.
 *
 * Without `batchMs` (Lambda: a frozen function runs no timer), the records of one turn of the event
 * loop go on the next turn (`setImmediate`). With `batchMs`, records are handed over together, once
 * per `batchMs` (or `DEFAULTS.accessBatchSize` of them, if sooner): the local server's sink fsyncs each publish, and one fsync per request cost
 * a small render ~4 % of its CPU (bench/README.md, "Serving: idle memory, small images, cache hits"). What is waiting goes at
 * `flush()` (the server's shutdown) and is lost only if the process dies first, as a CDN's access
 * logs are.
 */
import { DEFAULTS, LIMITS } from '../limits.js';
import { logger } from '../observability/logger.js';
import type { EventSink, ShutterEvent } from '../ports/event-sink.js';
import { buildEvent, imageId } from './build-event.js';

export interface AccessRecord {
  method: string;
  path: string;
  status: number;
  image?: { bucket: string; key: string } | undefined;
  format?: string | undefined;
  bytes: number;
  durationMs: number;
  cache: 'hit' | 'miss';
  errorCode?: string | undefined;
}

export interface AccessRecorder {
  (record: AccessRecord): void;
  readonly counts: { sampled: number; dropped: number };
  /** Hands every record still waiting for its batch to the sink; resolves once it has them. */
  flush(): Promise<void>;
}

export const ACCESS_SOURCE = 'shutter/api';

/** A sampled record waiting for its batch: what the request was, the rate it was kept at, when (ms). */
interface Waiting {
  access: AccessRecord;
  rate: number;
  time: number;
}

/**
 * @example
 * const recordAccess = createAccessRecorder(platform.events, { sampleRate: 0.1 });
 * recordAccess({ method: 'GET', path: '/cat.jpg', status: 200, bytes: 1234, durationMs: 12, cache: 'miss' });
 */
export function createAccessRecorder(
  sink: EventSink,
  options: { sampleRate: number; random?: () => number; now?: () => number; /** 0 (default): each record on its own. */ batchMs?: number },
): AccessRecorder {
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const batchMs = options.batchMs ?? 0;
  const counts = { sampled: 0, dropped: 0 };
  let lastWarning = 0;
  const drop = (error: unknown, records = 1) => {
    counts.dropped += records;
    // One warning a minute at most: a broker outage must not turn every request into a log line.
    if (Date.now() - lastWarning > 60_000) {
      lastWarning = Date.now();
      logger.warn({ dropped: counts.dropped, error: String((error as Error)?.message ?? error) }, 'access records dropped');
    }
  };
  // Errors recorded in the current one-second window, at the full rate so far.
  let window = { second: -1, errors: 0 };
  const record = (access: AccessRecord): void => {
    let rate = options.sampleRate;
    if (access.status >= 400) {
      const second = Math.floor(now() / 1000);
      if (second !== window.second) window = { second, errors: 0 };
      if (++window.errors > DEFAULTS.accessErrorsPerSecond) rate *= DEFAULTS.accessErrorFloodSampleRate;
    }
    if (rate <= 0 || random() >= rate) return;
    counts.sampled++;
    waiting.push({ access, rate, time: Date.now() });
    if (batchMs <= 0 || waiting.length >= DEFAULTS.accessBatchSize) immediate ??= setImmediate(() => void send());
    else timer ??= setTimeout(() => void send(), batchMs).unref();
  };
  const build = ({ access, rate, time }: Waiting): ShutterEvent =>
    buildEvent('image.request.served', {
      source: ACCESS_SOURCE,
      time: new Date(time),
      // With no image, the subject only groups records: its path's start is enough, the data has the rest.
      subject: access.image ? imageId(access.image.bucket, cap(access.image.key)) : access.path.slice(0, 256) || '/',
      data: {
        method: access.method.slice(0, 16),
        path: cap(access.path),
        status: access.status,
        ...(access.image ? { image: { bucket: access.image.bucket, key: cap(access.image.key) } } : {}),
        ...(access.format ? { format: access.format } : {}),
        bytes: access.bytes,
        duration_ms: Math.round(access.durationMs * 1000) / 1000,
        cache: access.cache,
        ...(access.errorCode ? { error_code: access.errorCode } : {}),
        sample_rate: rate,
      },
    });
  /** Sampled records not yet handed over, as they were recorded: built into events at `send`. */
  const waiting: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const send = (): Promise<void> => {
    clearTimeout(timer);
    clearImmediate(immediate);
    timer = undefined;
    immediate = undefined;
    const batch: ShutterEvent[] = [];
    for (const recorded of waiting.splice(0)) {
      try {
        batch.push(build(recorded));
      } catch (error) {
        drop(error);
      }
    }
    if (batch.length === 0) return Promise.resolve();
    return sink.publish(batch).catch((error: unknown) => drop(error, batch.length));
  };
  const flush = send;
  return Object.assign(record, { counts, flush });
}

/** A client-controlled string as a record keeps it: its first `LIMITS.accessRecordChars` characters. */
const cap = (text: string): string => (text.length > LIMITS.accessRecordChars ? text.slice(0, LIMITS.accessRecordChars) : text);

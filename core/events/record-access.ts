/**
 * The access record of the on-demand API: one `image.request.served` event per sampled request.
 * The image handler calls the recorder after each answer, synchronously and without awaiting
 * delivery: sampling is one `Math.random()`, and a sampled record is validated and handed to the
 * sink on the next turn of the event loop (`setImmediate`), once the answer is on its way: the
 * validation costs a cache hit a third of its time otherwise. A record that cannot be published is counted and dropped, never
 * allowed to fail or slow down the request it describes.
 */
import { logger } from '../observability/logger.js';
import type { EventSink } from '../ports/event-sink.js';
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
}

export const ACCESS_SOURCE = 'shutter/api';

/**
 * @example
 * const recordAccess = createAccessRecorder(platform.events, { sampleRate: 0.1 });
 * recordAccess({ method: 'GET', path: '/cat.jpg', status: 200, bytes: 1234, durationMs: 12, cache: 'miss' });
 */
export function createAccessRecorder(sink: EventSink, options: { sampleRate: number; random?: () => number }): AccessRecorder {
  const random = options.random ?? Math.random;
  const counts = { sampled: 0, dropped: 0 };
  let lastWarning = 0;
  const drop = (error: unknown) => {
    counts.dropped++;
    // One warning a minute at most: a broker outage must not turn every request into a log line.
    if (Date.now() - lastWarning > 60_000) {
      lastWarning = Date.now();
      logger.warn({ dropped: counts.dropped, error: String((error as Error)?.message ?? error) }, 'access records dropped');
    }
  };
  const record = (access: AccessRecord): void => {
    if (options.sampleRate <= 0 || random() >= options.sampleRate) return;
    counts.sampled++;
    setImmediate(() => publish(access));
  };
  const publish = (access: AccessRecord): void => {
    try {
      const event = buildEvent('image.request.served', {
        source: ACCESS_SOURCE,
        subject: access.image ? imageId(access.image.bucket, access.image.key) : access.path.slice(0, 2048) || '/',
        data: {
          method: access.method,
          path: access.path.slice(0, 8192),
          status: access.status,
          ...(access.image ? { image: access.image } : {}),
          ...(access.format ? { format: access.format } : {}),
          bytes: access.bytes,
          duration_ms: Math.round(access.durationMs * 1000) / 1000,
          cache: access.cache,
          ...(access.errorCode ? { error_code: access.errorCode } : {}),
          sample_rate: options.sampleRate,
        },
      });
      sink.publish([event]).catch(drop);
    } catch (error) {
      drop(error);
    }
  };
  return Object.assign(record, { counts });
}

/**
 * Where events go: CloudEvents-style JSON, keyed by image id so one image's events stay ordered.
 * Local default: append-only JSON lines under the data dir; in AWS: Kafka (MSK).
 * Delivery is at least once; consumers dedupe by `id`.
 */

export const EVENT_TYPES = [
  'image.workflow.completed',
  'image.workflow.failed',
  'image.moderation.flagged',
  'image.rendition.created',
  'image.request.served',
  'settings.changed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface ShutterEvent<T = Record<string, unknown>> {
  specversion: '1.0';
  /** Unique per event; the same event re-sent keeps its id. */
  id: string;
  type: EventType;
  /** Who emitted it, e.g. `shutter/workflow` or `shutter/api`. */
  source: string;
  /** The image id (the partition key). */
  subject: string;
  /** RFC 3339. */
  time: string;
  datacontenttype: 'application/json';
  /** Version of the data schema for this type (schemas live in `events/schemas/`). */
  dataschema?: string;
  data: T;
}

export interface PublishOptions {
  /**
   * Resolve only once the events reached their destination (the broker), else fail with a
   * retryable `Events::Undelivered` (TransientError). For callers whose local buffer is not
   * durable: a task in Lambda, whose /tmp outbox a cold start loses. Sinks whose buffer is the
   * destination (JSON lines) ignore it.
   */
  awaitDelivery?: boolean;
}

export interface EventSink {
  /** Accepts events for delivery; resolves once they are durably buffered (not necessarily delivered; see {@link PublishOptions}). */
  publish(events: readonly ShutterEvent[], options?: PublishOptions): Promise<void>;
  /** Resolves once everything accepted so far is delivered (or durably queued for retry). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

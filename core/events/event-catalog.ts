/**
 * The one place that defines each event type's data: a zod schema per type and version. The
 * TypeScript types, the runtime validation (`build-event.ts`), the published JSON Schemas
 * (`events/schemas/<type>.v<n>.json`, generated from these) and the lake's table columns
 * (`analytics/tables.ts`) all derive from here, so they cannot drift.
 *
 * Data field names are snake_case: Glue/Athena columns are lower case and DuckDB reads the same
 * JSON, so one SQL text works on both. Objects are strict: a producer's typo fails loudly.
 * Changing a shape incompatibly means a new version (`v2`), never an edit of `v1`.
 *
 * Each schema is built on first use (`z.lazy`): a process validates the few types it produces, and
 * the image Lambda, which publishes only `image.request.served` and only after its first answer,
 * builds none of them at load (bench/README.md, "Session 6: image Lambda cold start"). Parsing,
 * messages, types and JSON Schemas are those of the schema inside.
 */
import * as z from '../zod.js';
import type { EventType } from '../ports/event-sink.js';

const ImageRef = z.lazy(() =>
  z.strictObject({
    bucket: z.string().check(z.minLength(1)),
    key: z.string().check(z.minLength(1)),
  }),
);

const Rendition = z.lazy(() =>
  z.strictObject({
    /** The preset's name, e.g. `thumbnail`. */
    name: z.string().check(z.minLength(1)),
    format: z.string().check(z.minLength(1)),
    width: z.int().check(z.gt(0)),
    height: z.int().check(z.gt(0)),
    bytes: z.int().check(z.gte(0)),
    bucket: z.string().check(z.minLength(1)),
    key: z.string().check(z.minLength(1)),
  }),
);

const ModerationLabel = z.lazy(() =>
  z.strictObject({
    name: z.string().check(z.minLength(1)),
    /** 0–100, as Rekognition reports it. */
    confidence: z.number().check(z.gte(0), z.lte(100)),
    parent: z.optional(z.string()),
  }),
);

const ErrorInfo = z.lazy(() =>
  z.strictObject({
    /** The ShutterError name Step Functions matched (`ImageError`, `TransientError`, …). */
    name: z.string().check(z.minLength(1)),
    /** The stable error code (`ImageSource::CorruptImage`, …). */
    code: z.string().check(z.minLength(1)),
    message: z.string(),
  }),
);

const durationMs = z.number().check(z.gte(0));

/** Data of `image.workflow.completed`: the bulk workflow published an image and its renditions. */
export const WorkflowCompletedV1 = z.lazy(() =>
  z.strictObject({
    image: ImageRef,
    execution_id: z.string().check(z.minLength(1)),
    format: z.string().check(z.minLength(1)),
    width: z.int().check(z.gt(0)),
    height: z.int().check(z.gt(0)),
    bytes: z.int().check(z.gte(0)),
    /** sha256 of the source bytes, hex. */
    content_hash: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
    renditions: z.array(Rendition),
    manifest: ImageRef,
    moderation: z.strictObject({ flagged: z.boolean(), labels: z.array(z.string()) }),
    /** Upload to publish, wall time. */
    duration_ms: durationMs,
  }),
);

/** Data of `image.workflow.failed`: the workflow's failure path caught an error. */
export const WorkflowFailedV1 = z.lazy(() =>
  z.strictObject({
    image: ImageRef,
    execution_id: z.string().check(z.minLength(1)),
    /** The state that failed, e.g. `Inspect`. */
    state: z.string().check(z.minLength(1)),
    error: ErrorInfo,
    duration_ms: durationMs,
  }),
);

/** Data of `image.moderation.flagged`: moderation found labels above the threshold. */
export const ModerationFlaggedV1 = z.lazy(() =>
  z.strictObject({
    image: ImageRef,
    execution_id: z.string().check(z.minLength(1)),
    labels: z.array(ModerationLabel).check(z.minLength(1)),
    /** What happened to the image: moved to quarantine, blurred, or held for an operator. */
    action: z.enum(['quarantine', 'blur', 'review']),
  }),
);

/** Data of `image.rendition.created`: one rendition was written. */
export const RenditionCreatedV1 = z.lazy(() =>
  z.strictObject({
    image: ImageRef,
    execution_id: z.string().check(z.minLength(1)),
    rendition: Rendition,
    duration_ms: durationMs,
  }),
);

/** Data of `image.request.served`: the access record of one on-demand request (sampled). */
export const RequestServedV1 = z.lazy(() =>
  z.strictObject({
    method: z.string().check(z.minLength(1)),
    path: z.string().check(z.maxLength(8192)),
    status: z.int().check(z.gte(100), z.lte(599)),
    /** Absent when the request failed before it named an image. */
    image: z.optional(ImageRef),
    /** The output format, when an image was answered. */
    format: z.optional(z.string()),
    /** Bytes of the answered body (0 for 304 and HEAD). */
    bytes: z.int().check(z.gte(0)),
    duration_ms: durationMs,
    /** `hit`: answered without reading or rendering (ETag revalidation → 304); `miss`: rendered or read. */
    cache: z.enum(['hit', 'miss']),
    /** The error code of a failed request (`NoSuchKey`, …). */
    error_code: z.optional(z.string()),
    /** The sampling rate in force, so counts can be scaled back up (1 / rate). */
    sample_rate: z.number().check(z.gt(0), z.lte(1)),
  }),
);

/** Data of `settings.changed`: an operator changed a delivery setting (the audit trail of `/api/origins|policies|mappings`). */
export const SettingsChangedV1 = z.lazy(() =>
  z.strictObject({
    kind: z.enum(['origins', 'policies', 'mappings']),
    name: z.string().check(z.minLength(1)),
    change: z.enum(['created', 'updated', 'deleted']),
    /** The version written (the last one, for a deletion). */
    version: z.int().check(z.gte(0)),
    /** The operator, as the console's authentication named them. */
    by: z.optional(z.string()),
  }),
);

/** The schema of every type's data, by type, with the version each type is currently at. */
export const EVENT_CATALOG = {
  'image.workflow.completed': { version: 1, data: WorkflowCompletedV1 },
  'image.workflow.failed': { version: 1, data: WorkflowFailedV1 },
  'image.moderation.flagged': { version: 1, data: ModerationFlaggedV1 },
  'image.rendition.created': { version: 1, data: RenditionCreatedV1 },
  'image.request.served': { version: 1, data: RequestServedV1 },
  'settings.changed': { version: 1, data: SettingsChangedV1 },
} as const satisfies Record<EventType, { version: number; data: z.ZodMiniType }>;

/** The data a producer passes for an event type. */
export type EventData<T extends EventType> = z.input<(typeof EVENT_CATALOG)[T]['data']>;

/** `events/schemas/<type>.v<n>.json`, the schema file name and the `dataschema` of an event. */
export function dataSchemaName(type: EventType): string {
  return `${type}.v${EVENT_CATALOG[type].version}.json`;
}

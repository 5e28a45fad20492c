/**
 * The EventSink that writes straight to the lake through the Storage port (S3 in AWS): what the
 * Lambda functions use when streaming is off (`EnableStreaming=No`), since their task root is
 * read-only and the local JSON-lines sink would write under it. Each commit puts one object per
 * UTC day (`core/events/lake-objects.ts`: the Glue table's layout, named after the events' ids,
 * so a retried task re-writes the same keys instead of adding copies).
 *
 * Publishes that arrive while a put is in flight share the next one (group commit): a burst of
 * access records costs a few PUTs, not one each. `publish` resolves once the objects are stored,
 * so `awaitDelivery` holds without further work.
 */
import { lakeObjects } from '../events/lake-objects.js';
import type { ShutterEvent } from '../ports/event-sink.js';
import { GroupCommitSink } from './group-commit-sink.js';
import type { Storage } from '../ports/storage.js';

export interface LakeEventSinkOptions {
  storage: Storage;
  bucket: string;
  /** The events table's location in the bucket, with a trailing slash. @default `events/` */
  prefix?: string;
}

export class LakeEventSink extends GroupCommitSink {
  constructor(private readonly options: LakeEventSinkOptions) {
    super('LakeEventSink');
  }

  protected async write(events: ShutterEvent[]): Promise<void> {
    const { storage, bucket, prefix = 'events/' } = this.options;
    await Promise.all(
      lakeObjects(events, prefix).map((object) => storage.put(bucket, object.key, object.body, { contentType: 'application/x-ndjson' })),
    );
  }
}

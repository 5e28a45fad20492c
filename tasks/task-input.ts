/** The fields every task's input shares: who is asking (execution, image) and which object. */
import { z } from 'zod';
import { BucketName, ObjectKey } from '../core/image-request.js';

/** The uploaded object an execution processes; `etag` pins the version the trigger saw. */
export const SourceObject = z.strictObject({ bucket: BucketName, key: ObjectKey, etag: z.string().max(256).optional() });
export type SourceObject = z.infer<typeof SourceObject>;

export const TaskIds = z.object({
  /** The execution's ARN (`$$.Execution.Id`), for logs and event ids. */
  executionId: z.string().min(1).max(2048),
  /** When the execution started (`$$.Execution.StartTime`), for the durations events report. */
  startedAt: z.iso.datetime({ offset: true }).optional(),
  /** The image's stable id: derived from bucket and key, the partition key of its events. */
  imageId: z.string().min(1).max(128),
});

/** An image's size after EXIF orientation. */
export const ImageSize = z.strictObject({ width: z.number().int().positive(), height: z.number().int().positive() });

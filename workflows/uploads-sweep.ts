/**
 * Expires uploads: the uploads bucket is an inbox, not an archive. In AWS an S3 lifecycle rule
 * deletes objects after UPLOAD_RETENTION_DAYS; locally this sweep does, at start and hourly.
 * Renditions, manifests and quarantined copies live in other buckets and are kept.
 */
import { listAll, type Storage } from '../core/ports/storage.js';

export async function sweepExpiredUploads(
  storage: Storage,
  bucket: string,
  options: { retentionDays: number; now?: Date },
): Promise<{ deleted: string[] }> {
  const cutoff = (options.now ?? new Date()).getTime() - options.retentionDays * 24 * 3600 * 1000;
  const deleted: string[] = [];
  for await (const object of listAll(storage, bucket)) {
    if (object.lastModified.getTime() < cutoff) {
      await storage.delete(bucket, object.key);
      deleted.push(object.key);
    }
  }
  return { deleted };
}

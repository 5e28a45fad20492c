/**
 * Appending to the local event files (the JSON-lines event log and the outbox) all or nothing.
 * A `write` may store only part of a buffer (a disk filling up does exactly that before it
 * answers ENOSPC), and Node resolves such a short write without error: taken as whole, the rest
 * of the buffer would be lost and the torn line would glue itself to the next append. So the
 * whole buffer is written and fsync'd, or the file is cut back to where it was and the append
 * fails, visibly, with an error the workflow's Retry matches when it may pass (disk full).
 *
 * `event-files/` holds the event files' building blocks that every deployment uses, not only the
 * local one: the Kafka sink keeps its outbox under `/tmp` in Lambda too.
 */
import type { FileHandle } from 'node:fs/promises';
import { TransientError } from '../../errors.js';
import { logMetric } from '../../observability/metric-log.js';

/** The device holding a local event file is full (or over quota): refused until space is freed. */
export class DiskFullError extends TransientError {
  constructor(file: string, cause: unknown) {
    super('Events::DiskFull', `No space left on the device holding ${file}: events are refused until space is freed.`, 503, { cause });
  }
}

const FULL = new Set(['ENOSPC', 'EDQUOT']);

/**
 * Appends all of `buffer` to `handle` (opened for appending, `size` bytes long) and fsyncs it.
 * On failure the file is truncated back to `size` and the error rethrown (disk full as
 * {@link DiskFullError}, with an alarm metric); `torn` is then set on the error when even the
 * truncation failed, so the caller stops appending to that file.
 */
export async function appendWhole(handle: FileHandle, buffer: Buffer, size: number, file: string): Promise<void> {
  try {
    for (let written = 0; written < buffer.length; ) {
      const { bytesWritten } = await handle.write(buffer, written, buffer.length - written);
      if (bytesWritten <= 0) throw Object.assign(new Error(`write of ${file} made no progress`), { code: 'EIO' });
      written += bytesWritten;
    }
    await handle.sync();
  } catch (error) {
    const torn = await handle.truncate(size).then(
      () => false,
      () => true,
    );
    throw Object.assign(diskFullOr(error, file), { torn });
  }
}

/**
 * A disk-full error (ENOSPC, EDQUOT) from any step of writing a local event file as
 * {@link DiskFullError}, with the alarm metric `EventLogDiskFull`; any other error as it is.
 */
export function diskFullOr(error: unknown, file: string): Error {
  if (error instanceof DiskFullError || !FULL.has((error as NodeJS.ErrnoException).code ?? '')) return error as Error;
  logMetric('EventLogDiskFull', 1, { file }, { level: 'error', msg: 'ALARM no space left for local events: publishing fails until space is freed' });
  return new DiskFullError(file, error);
}

/** True when an {@link appendWhole} failure left bytes behind that could not be cut off. */
export const leftTorn = (error: unknown): boolean => (error as { torn?: boolean }).torn === true;

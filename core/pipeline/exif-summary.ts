/** A short, privacy-minded summary of an image's EXIF block, shared by `/meta` and the workflow's Inspect task. */
import exifReader from 'exif-reader';

/** The few EXIF fields people ask about; GPS is reported only as present or not. */
export function summarizeExif(raw: Buffer): Record<string, string | number> | undefined {
  try {
    const tags = exifReader(raw);
    const summary: Record<string, string | number> = {};
    const pick = (name: string, value: unknown) => {
      if (typeof value === 'string' || typeof value === 'number') summary[name] = typeof value === 'string' ? value.trim() : value;
      else if (value instanceof Date) summary[name] = value.toISOString();
    };
    pick('make', tags.Image?.Make);
    pick('model', tags.Image?.Model);
    pick('software', tags.Image?.Software);
    pick('dateTimeOriginal', tags.Photo?.DateTimeOriginal);
    pick('exposureTime', tags.Photo?.ExposureTime);
    pick('fNumber', tags.Photo?.FNumber);
    pick('iso', tags.Photo?.ISOSpeedRatings);
    pick('focalLength', tags.Photo?.FocalLength);
    pick('lensModel', tags.Photo?.LensModel);
    if (tags.GPSInfo && Object.keys(tags.GPSInfo).length) summary.gps = 'present';
    return summary;
  } catch {
    return undefined;
  }
}

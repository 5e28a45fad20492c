import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Storage } from '../core/ports/storage.js';

/**
 * On first start, puts the sample photographs shipped in `samples/` into the default bucket, so
 * a newcomer has images to transform at once. Does nothing when the bucket already has objects.
 */
export async function seedSamples(storage: Storage, bucket: string, samplesDir: string): Promise<string[]> {
  const existing = await storage.list(bucket, '', { limit: 1 });
  if (existing.objects.length > 0) return [];
  const files = (await readdir(samplesDir).catch(() => [])).filter((name) => /\.(jpe?g|png|webp|gif|avif)$/i.test(name));
  for (const name of files) await storage.put(bucket, name, await readFile(path.join(samplesDir, name)));
  return files;
}

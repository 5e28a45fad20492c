/**
 * A synthetic, deterministic event history (seeded PRNG): uploads flowing through the workflow
 * (completed, failed, flagged, renditions) and on-demand requests, over a few days. The query
 * tests assert each dashboard query against it; the benchmark scales it to a million rows; it
 * also makes a local demo's dashboards non-empty.
 */
import { buildEvent, imageId } from '../core/events/build-event.js';
import type { ShutterEvent } from '../core/ports/event-sink.js';
import { seededRandom } from '../core/seeded-random.js';

export interface FixtureOptions {
  seed?: number;
  days?: number;
  uploadsPerDay?: number;
  requestsPerDay?: number;
  /** First day, `YYYY-MM-DD`. */
  start?: string;
  /** Skip schema validation (for the million-row benchmark; the small fixture is always validated). */
  validate?: boolean;
}

const PRESETS = [
  { name: 'thumbnail', width: 200, format: 'webp' },
  { name: 'medium', width: 800, format: 'webp' },
  { name: 'large', width: 1600, format: 'avif' },
  { name: 'large-jpeg', width: 1600, format: 'jpeg' },
] as const;
const LABELS = ['Suggestive', 'Violence', 'Explicit Nudity', 'Drugs'] as const;
const FAILURES = [
  { name: 'ImageError', code: 'ImageSource::CorruptImage', state: 'Inspect' },
  { name: 'ImageError', code: 'ImageSource::TooManyPixels', state: 'Inspect' },
  { name: 'TransientError', code: 'Storage::Throttled', state: 'Renditions' },
] as const;
const REQUEST_ERRORS = [
  { status: 404, code: 'NoSuchKey' },
  { status: 400, code: 'DecodeRequest::CannotDecodeRequest' },
  { status: 403, code: 'SignatureDoesNotMatch' },
] as const;

export function* fixtureEvents(options: FixtureOptions = {}): Generator<ShutterEvent> {
  const next = seededRandom(options.seed ?? 42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const days = options.days ?? 3;
  const uploadsPerDay = options.uploadsPerDay ?? 40;
  const requestsPerDay = options.requestsPerDay ?? 200;
  const start = Date.parse(`${options.start ?? '2026-03-01'}T00:00:00Z`);
  let sequence = 0;
  // ids derive from the seed and a counter: the same history has the same ids.
  const id = () => `fx-${(options.seed ?? 42).toString(16)}-${(sequence++).toString(16).padStart(8, '0')}`;
  const build: typeof buildEvent =
    options.validate === false
      ? ((type, input) => ({ specversion: '1.0', id: input.id!, type, source: input.source, subject: input.subject, time: input.time!.toISOString(), datacontenttype: 'application/json', data: input.data as Record<string, unknown> })) as typeof buildEvent
      : buildEvent;
  const images: Array<{ bucket: string; key: string }> = [];

  for (let day = 0; day < days; day++) {
    const dayStart = start + day * 86_400_000;
    for (let upload = 0; upload < uploadsPerDay; upload++) {
      const at = dayStart + Math.floor((upload / uploadsPerDay) * 86_000_000);
      const image = { bucket: 'uploads', key: `${day}/photo-${upload}.jpg` };
      const subject = imageId(image.bucket, image.key);
      const execution_id = `exec-${day}-${upload}`;
      const roll = next();
      if (roll < 0.1) {
        const failure = pick(FAILURES);
        yield build('image.workflow.failed', { id: id(), source: 'shutter/workflow', subject, time: new Date(at + 500), data: { image, execution_id, state: failure.state, error: { name: failure.name, code: failure.code, message: 'synthetic failure' }, duration_ms: int(50, 900) } });
        continue;
      }
      if (roll < 0.2) {
        const first = pick(LABELS);
        const labels = [{ name: first, confidence: int(75, 99) }];
        if (next() < 0.4) labels.push({ name: pick(LABELS.filter((label) => label !== first)), confidence: int(75, 99) });
        yield build('image.moderation.flagged', { id: id(), source: 'shutter/workflow', subject, time: new Date(at + 300), data: { image, execution_id, labels, action: 'quarantine' } });
        continue;
      }
      const width = pick([3000, 4032, 6000]);
      const height = Math.round((width * 2) / 3);
      const renditions = [];
      for (const preset of PRESETS) {
        const rendition = { name: preset.name, format: preset.format, width: preset.width, height: Math.round((preset.width * 2) / 3), bytes: int(5_000, 50_000) * (preset.width / 200), bucket: 'images', key: `renditions/${image.key}/${preset.name}.${preset.format}` };
        renditions.push(rendition);
        yield build('image.rendition.created', { id: id(), source: 'shutter/workflow', subject, time: new Date(at + 1000 + renditions.length), data: { image, execution_id, rendition, duration_ms: int(80, 1500) } });
      }
      yield build('image.workflow.completed', {
        id: id(),
        source: 'shutter/workflow',
        subject,
        time: new Date(at + 2000),
        data: { image, execution_id, format: 'jpeg', width, height, bytes: int(1_000_000, 8_000_000), renditions, manifest: { bucket: 'images', key: `renditions/${image.key}/manifest.json` }, moderation: { flagged: false, labels: [] }, duration_ms: int(1500, 9000) },
      });
      images.push({ bucket: 'images', key: `renditions/${image.key}/medium.webp` });
    }
    for (let request = 0; request < requestsPerDay; request++) {
      const at = new Date(dayStart + Math.floor((request / requestsPerDay) * 86_000_000) + 3000);
      const roll = next();
      if (roll < 0.05 || images.length === 0) {
        const failure = pick(REQUEST_ERRORS);
        const path = `/missing-${int(1, 5)}.jpg`;
        const image = failure.status === 404 ? { bucket: 'images', key: path.slice(1) } : undefined;
        yield build('image.request.served', { id: id(), source: 'shutter/api', subject: image ? imageId(image.bucket, image.key) : path, time: at, data: { method: 'GET', path, status: failure.status, ...(image ? { image } : {}), bytes: 120, duration_ms: int(1, 20), cache: 'miss', error_code: failure.code, sample_rate: 1 } });
        continue;
      }
      // A few popular images get most requests (a Zipf-like skew), as real traffic does.
      const image = images[Math.floor(next() ** 3 * Math.min(images.length, 30))]!;
      const hit = roll > 0.7;
      yield build('image.request.served', {
        id: id(),
        source: 'shutter/api',
        subject: imageId(image.bucket, image.key),
        time: at,
        data: { method: 'GET', path: `/${image.key}?width=400`, status: hit ? 304 : 200, image, format: 'webp', bytes: hit ? 0 : int(8_000, 60_000), duration_ms: hit ? int(1, 5) : int(20, 400), cache: hit ? 'hit' : 'miss', sample_rate: 1 },
      });
    }
  }
}

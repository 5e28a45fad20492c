/**
 * The Analyzer on Amazon Rekognition: DetectModerationLabels for moderation, DetectFaces for faces.
 *
 * Rekognition reads only JPEG and PNG, at most 5 MB as request bytes (15 MB from S3), at least 80 px
 * a side, and ignores nothing about EXIF orientation that we can rely on. So an image is sent as it
 * is only when it already fits all that; otherwise a JPEG copy is made, auto-oriented (boxes then
 * match the image the pipeline crops) and downscaled until it fits. When the caller says where the
 * image is stored and storage is S3, Rekognition reads it there instead (no upload), falling back to
 * bytes if it cannot.
 *
 * Throttling and passing faults are retried here with full-jitter exponential backoff (the client is
 * created with the SDK's own retries off, so attempts do not multiply); what remains is mapped to the
 * project's errors: throttling → TransientError (Step Functions retries it), unreadable images →
 * ImageError, anything else → SIH's 500 codes.
 */
import { isRemoteOrigin } from '../../origins.js';
import {
  DetectFacesCommand,
  DetectModerationLabelsCommand,
  RekognitionServiceException,
  type Image,
  type RekognitionClient,
} from '@aws-sdk/client-rekognition';
import sharp from 'sharp';
import { setTimeout as delay } from 'node:timers/promises';
import { ImageError, ShutterError, TransientError } from '../../errors.js';
import { DEFAULTS, LIMITS } from '../../limits.js';
import { DEFAULT_IMAGE_LIMITS, blameSource, mapSharpError, openImage, type ImageLimits } from '../../pipeline/sharp-factory.js';
import { recordAnalysis } from '../../observability/metrics.js';
import type {
  Analyzer,
  DetectSubjectsOptions,
  ModerateOptions,
  ModerationResult,
  ObjectLocation,
  SubjectBox,
  SubjectsResult,
} from '../../ports/analyzer.js';

type Operation = 'DetectModerationLabels' | 'DetectFaces';

/** Error names Rekognition (or the network under it) uses for faults that may pass on their own. */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const THROTTLING_NAMES = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'LimitExceededException']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

/** SIH's public codes and messages for a Rekognition failure that is nobody's input's fault. */
const SIH_FAILURE: Record<Operation, { code: string; message: string }> = {
  DetectModerationLabels: {
    code: 'Rekognition::DetectModerationLabelsError',
    message: 'Rekognition call failed. Please contact the system administrator.',
  },
  DetectFaces: { code: 'SmartCrop::Error', message: 'Smart Crop could not be applied. Please contact the system administrator.' },
};

export interface RekognitionAnalyzerOptions {
  /** True when images live in S3 that Rekognition can read (storage is S3, same region): sources are then passed by reference. */
  readFromS3?: boolean;
  /** Calls per operation, the first included (default 4). */
  attempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  limits?: ImageLimits;
  /** Waits between attempts; tests pass one that records instead of sleeping. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class RekognitionAnalyzer implements Analyzer {
  readonly name = 'aws-rekognition';
  private readonly readFromS3: boolean;
  private readonly attempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly limits: ImageLimits;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    private readonly client: RekognitionClient,
    options: RekognitionAnalyzerOptions = {},
  ) {
    this.readFromS3 = options.readFromS3 ?? false;
    this.attempts = Math.max(1, options.attempts ?? DEFAULTS.rekognitionAttempts);
    this.backoffBaseMs = options.backoffBaseMs ?? DEFAULTS.rekognitionBackoffBaseMs;
    this.backoffMaxMs = options.backoffMaxMs ?? DEFAULTS.rekognitionBackoffMaxMs;
    this.limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
    this.sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, signal ? { signal } : {}));
  }

  /** Closes the client's sockets (shutdown). */
  async close(): Promise<void> {
    this.client.destroy();
  }

  async moderate(image: Buffer, options: ModerateOptions): Promise<ModerationResult> {
    const started = performance.now();
    const response = await this.withImage('DetectModerationLabels', image, options, (Image) =>
      this.client.send(new DetectModerationLabelsCommand({ Image, MinConfidence: options.minConfidence }), abortable(options.signal)),
    );
    const labels = (response.ModerationLabels ?? []).map((label) => ({
      name: label.Name ?? '',
      parentName: label.ParentName ?? '',
      confidence: label.Confidence ?? 0,
      ...(label.TaxonomyLevel !== undefined ? { taxonomyLevel: label.TaxonomyLevel } : {}),
    }));
    const contentTypes = (response.ContentTypes ?? []).map((type) => ({ name: type.Name ?? '', confidence: type.Confidence ?? 0 }));
    const version = response.ModerationModelVersion ? `/moderation-${response.ModerationModelVersion}` : '';
    const ms = performance.now() - started;
    recordAnalysis(this.name, 'moderation', ms);
    return { analyzer: `${this.name}${version}`, ms, labels, ...(contentTypes.length ? { contentTypes } : {}) };
  }

  async detectSubjects(image: Buffer, options: DetectSubjectsOptions = {}): Promise<SubjectsResult> {
    const started = performance.now();
    const response = await this.withImage('DetectFaces', image, options, (Image) =>
      this.client.send(new DetectFacesCommand({ Image, Attributes: ['DEFAULT'] }), abortable(options.signal)),
    );
    const faces: SubjectBox[] = (response.FaceDetails ?? [])
      .filter((face) => face.BoundingBox)
      .map(({ BoundingBox: box, Confidence }) => ({
        left: box!.Left ?? 0,
        top: box!.Top ?? 0,
        width: box!.Width ?? 0,
        height: box!.Height ?? 0,
        kind: 'face' as const,
        confidence: Confidence ?? 0,
      }))
      .sort((a, b) => b.width * b.height - a.width * a.height);
    const ms = performance.now() - started;
    recordAnalysis(this.name, 'faces', ms);
    return { analyzer: this.name, ms, faces };
  }

  /** Sends by S3 reference when possible, else as bytes (also when Rekognition cannot read the S3 object). */
  private async withImage<T>(
    operation: Operation,
    image: Buffer,
    options: { source?: ObjectLocation; signal?: AbortSignal },
    send: (image: Image) => Promise<T>,
  ): Promise<T> {
    const reference = this.readFromS3 && options.source ? await this.s3Reference(image, options.source) : undefined;
    if (reference) {
      try {
        return await this.call(operation, () => send(reference), options.signal);
      } catch (error) {
        // The object may have moved or Rekognition may lack access to it: the bytes are at hand, use them.
        if (!(error instanceof ShutterError && error.code === 'Rekognition::UnreadableS3Object')) throw error;
      }
    }
    const bytes = await this.compatibleBytes(image);
    return this.call(operation, () => send({ Bytes: bytes }), options.signal);
  }

  private async s3Reference(image: Buffer, source: ObjectLocation): Promise<Image | undefined> {
    const info = await readHeader(image);
    // A remote origin is no bucket Rekognition could read: such images go as bytes.
    const fits = isSendable(info) && image.length <= LIMITS.rekognitionMaxS3Bytes && !isRemoteOrigin(source.bucket);
    return fits ? { S3Object: { Bucket: source.bucket, Name: source.key } } : undefined;
  }

  /** The image itself when Rekognition can take it as it is, else a JPEG copy that it can. */
  private async compatibleBytes(image: Buffer): Promise<Uint8Array> {
    const info = await readHeader(image);
    if (isSendable(info) && image.length <= LIMITS.rekognitionMaxBytes) return image;
    try {
      const oriented = info.orientation >= 5 ? { width: info.height, height: info.width } : info;
      let longSide = Math.min(Math.max(oriented.width, oriented.height), LIMITS.rekognitionMaxSide);
      const shortSide = Math.min(oriented.width, oriented.height);
      // Tiny images are enlarged to Rekognition's minimum; boxes are relative, so nothing else changes.
      if (shortSide < LIMITS.rekognitionMinSide) longSide = Math.ceil((longSide * LIMITS.rekognitionMinSide) / shortSide);
      for (;;) {
        const copy = await openImage(image, this.limits)
          .autoOrient()
          .resize({ width: longSide, height: longSide, fit: 'inside' })
          .flatten({ background: '#ffffff' })
          .jpeg({ quality: 90 })
          .toBuffer();
        if (copy.length <= LIMITS.rekognitionMaxBytes || longSide <= LIMITS.rekognitionMinSide * 2) return copy;
        longSide = Math.floor(longSide * 0.75);
      }
    } catch (error) {
      throw await blameSource(error, image, this.limits);
    }
  }

  private async call<T>(operation: Operation, send: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (signal?.aborted) throw error;
        if (!isTransient(error) || attempt >= this.attempts) throw mapRekognitionError(error, operation);
        // Full jitter: spreads the retries of many throttled callers instead of synchronising them.
        const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempt - 1));
        await this.sleep(Math.random() * ceiling, signal);
      }
    }
  }
}

interface HeaderInfo {
  format: string;
  width: number;
  height: number;
  orientation: number;
}

async function readHeader(image: Buffer): Promise<HeaderInfo> {
  try {
    const { format = 'unknown', width = 0, height = 0, orientation = 1 } = await sharp(image, { limitInputPixels: false }).metadata();
    return { format, width, height, orientation };
  } catch (error) {
    throw mapSharpError(error);
  }
}

/** JPEG or PNG, upright, and large enough: Rekognition can take it as it is. */
function isSendable(info: HeaderInfo): boolean {
  return (
    (info.format === 'jpeg' || info.format === 'png') &&
    info.orientation <= 1 &&
    Math.min(info.width, info.height) >= LIMITS.rekognitionMinSide
  );
}

function abortable(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (TRANSIENT_NAMES.has(error.name)) return true;
  const code = (error as { code?: string }).code;
  if (code && NETWORK_CODES.has(code)) return true;
  if (error instanceof RekognitionServiceException) return error.$fault === 'server' || !!error.$retryable;
  return false;
}

/** Maps what Rekognition (or the SDK) threw to the project's error vocabulary; see the module comment. */
export function mapRekognitionError(error: unknown, operation: Operation): ShutterError {
  if (error instanceof ShutterError) return error;
  const name = error instanceof Error ? error.name : '';
  const options = { cause: error };
  if (THROTTLING_NAMES.has(name)) {
    return new TransientError('Rekognition::Throttled', 'Image analysis is busy; try again shortly.', 503, options);
  }
  if (isTransient(error)) {
    return new TransientError('Rekognition::Unavailable', 'Image analysis is unavailable for a moment; try again shortly.', 503, options);
  }
  switch (name) {
    case 'InvalidImageFormatException':
      return new ImageError('ImageSource::UnsupportedFormat', 'The image could not be analysed: its format is not one the analyzer reads.', 415, options);
    case 'ImageTooLargeException':
      return new ImageError('ImageSource::TooLarge', 'The image is too large to be analysed.', 413, options);
    case 'InvalidParameterException':
      // The request is ours and valid, so what Rekognition refuses is the image (too small, no decodable frame).
      return new ImageError('ImageSource::CannotAnalyze', 'The image could not be analysed.', 422, options);
    case 'InvalidS3ObjectException':
      return new ShutterError(500, 'Rekognition::UnreadableS3Object', 'Rekognition could not read the image from S3.', options);
  }
  const failure = SIH_FAILURE[operation];
  return new ShutterError(500, failure.code, failure.message, options);
}

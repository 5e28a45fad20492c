/**
 * The Rekognition adapter at the SDK boundary: aws-sdk-client-mock replays real response bodies
 * (test/fixtures/rekognition/) and real exception classes; the requests it records are checked for
 * what Rekognition requires (JPEG/PNG, ≤ 5 MB, ≥ 80 px, upright).
 */
import {
  AccessDeniedException,
  DetectFacesCommand,
  DetectModerationLabelsCommand,
  ImageTooLargeException,
  InternalServerError,
  InvalidImageFormatException,
  InvalidParameterException,
  InvalidS3ObjectException,
  ProvisionedThroughputExceededException,
  RekognitionClient,
  ThrottlingException,
  type DetectFacesCommandOutput,
  type DetectModerationLabelsCommandOutput,
} from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { RekognitionAnalyzer } from '../../../../core/adapters/aws/rekognition-analyzer.js';
import { LIMITS } from '../../../../core/limits.js';
import { fixture, imageInfo, samplePhoto } from '../../../helpers/images.js';

const rekognition = mockClient(RekognitionClient);
const response = <T>(name: string): T => JSON.parse(fixture('rekognition', `${name}.json`).toString('utf8')) as T;
const meta = { $metadata: {} };

let sleeps: number[];
function analyzer(options: { readFromS3?: boolean } = {}): RekognitionAnalyzer {
  return new RekognitionAnalyzer(new RekognitionClient({ region: 'us-east-1', maxAttempts: 1 }), {
    ...options,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

beforeEach(() => {
  rekognition.reset();
  sleeps = [];
});

function sentBytes(command: typeof DetectFacesCommand | typeof DetectModerationLabelsCommand, call = 0): Buffer {
  const input = rekognition.commandCalls(command)[call]!.args[0].input;
  return Buffer.from(input.Image!.Bytes!);
}

describe('moderate (DetectModerationLabels)', () => {
  test('sends the image and the threshold, and maps labels, levels and content types', async () => {
    rekognition.on(DetectModerationLabelsCommand).resolves(response<DetectModerationLabelsCommandOutput>('detect-moderation-labels-explicit'));
    const image = samplePhoto('astronaut');
    const result = await analyzer().moderate(image, { minConfidence: 75 });

    const call = rekognition.commandCalls(DetectModerationLabelsCommand)[0]!.args[0].input;
    expect(call.MinConfidence).toBe(75);
    // A JPEG under 5 MB, upright and large enough goes as it is.
    expect(Buffer.from(call.Image!.Bytes!).equals(image)).toBe(true);
    expect(result.analyzer).toBe('aws-rekognition/moderation-7.0');
    expect(result.labels[0]).toEqual({ name: 'Explicit', parentName: '', confidence: 98.4052, taxonomyLevel: 1 });
    expect(result.labels[2]).toEqual({ name: 'Exposed Female Nipple', parentName: 'Explicit Nudity', confidence: 97.1731, taxonomyLevel: 3 });
    expect(result.labels).toHaveLength(5);
    expect(result.contentTypes).toEqual([{ name: 'Illustrated', confidence: 91.2 }]);
  });

  test('a safe image has no labels', async () => {
    rekognition.on(DetectModerationLabelsCommand).resolves(response('detect-moderation-labels-safe'));
    const result = await analyzer().moderate(samplePhoto('coffee'), { minConfidence: 75 });
    expect(result.labels).toEqual([]);
    expect(result.contentTypes).toBeUndefined();
  });
});

describe('detectSubjects (DetectFaces)', () => {
  test('asks for the default attributes and returns faces largest first', async () => {
    rekognition.on(DetectFacesCommand).resolves(response<DetectFacesCommandOutput>('detect-faces-two'));
    const result = await analyzer().detectSubjects(fixture('analysis', 'photos', 'composite-two-portraits.jpg'));

    expect(rekognition.commandCalls(DetectFacesCommand)[0]!.args[0].input.Attributes).toEqual(['DEFAULT']);
    expect(result.analyzer).toBe('aws-rekognition');
    expect(result.faces).toEqual([
      { left: 0.5846, top: 0.1236, width: 0.1146, height: 0.2107, kind: 'face', confidence: 99.9995 },
      { left: 0.1664, top: 0.3071, width: 0.1052, height: 0.1708, kind: 'face', confidence: 99.9968 },
    ]);
    expect(result.subject).toBeUndefined();
  });

  test('no face is an empty list', async () => {
    rekognition.on(DetectFacesCommand).resolves(response('detect-faces-none'));
    await expect(analyzer().detectSubjects(samplePhoto('coffee'))).resolves.toMatchObject({ faces: [] });
  });
});

describe('making the image acceptable to Rekognition', () => {
  beforeEach(() => {
    rekognition.on(DetectFacesCommand).resolves(response('detect-faces-none'));
  });

  test('an image over 5 MB is downscaled to a JPEG under the limit', async () => {
    // Noise does not compress: an uncompressed 1400 × 1400 PNG of it is about 5.9 MB.
    const large = await sharp({ create: { width: 1400, height: 1400, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(large.length).toBeGreaterThan(LIMITS.rekognitionMaxBytes);
    await analyzer().detectSubjects(large);
    const sent = sentBytes(DetectFacesCommand);
    expect(sent.length).toBeLessThanOrEqual(LIMITS.rekognitionMaxBytes);
    const info = await imageInfo(sent);
    expect(info.format).toBe('jpeg');
    expect(info.width / info.height).toBeCloseTo(1, 2);
  });

  test('a WebP is sent as JPEG, since Rekognition reads only JPEG and PNG', async () => {
    const webp = await sharp(samplePhoto('chelsea')).webp().toBuffer();
    await analyzer().detectSubjects(webp);
    expect(await imageInfo(sentBytes(DetectFacesCommand))).toMatchObject({ format: 'jpeg', width: 451, height: 300 });
  });

  test('an EXIF-rotated JPEG is sent upright, so boxes match the image the pipeline crops', async () => {
    const rotated = await sharp(samplePhoto('chelsea')).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    await analyzer().detectSubjects(rotated);
    const sent = sentBytes(DetectFacesCommand);
    expect(await imageInfo(sent)).toMatchObject({ format: 'jpeg', width: 300, height: 451 });
    expect((await sharp(sent).metadata()).orientation ?? 1).toBe(1);
  });

  test('an image under 80 px is enlarged to Rekognition’s minimum', async () => {
    const tiny = await sharp(samplePhoto('chelsea')).resize(60, 40).png().toBuffer();
    await analyzer().detectSubjects(tiny);
    const { width, height } = await imageInfo(sentBytes(DetectFacesCommand));
    expect(Math.min(width, height)).toBeGreaterThanOrEqual(LIMITS.rekognitionMinSide);
  });

  test('bytes that are not an image are refused before any call', async () => {
    await expect(analyzer().detectSubjects(Buffer.from('not an image'))).rejects.toMatchObject({ name: 'ImageError' });
    expect(rekognition.commandCalls(DetectFacesCommand)).toHaveLength(0);
  });

  test('an image stored in S3 is passed by reference when Rekognition can read S3', async () => {
    await analyzer({ readFromS3: true }).detectSubjects(samplePhoto('astronaut'), { source: { bucket: 'images', key: 'people/astronaut.jpg' } });
    expect(rekognition.commandCalls(DetectFacesCommand)[0]!.args[0].input.Image).toEqual({
      S3Object: { Bucket: 'images', Name: 'people/astronaut.jpg' },
    });
  });

  test('without S3 access (local storage) the bytes are sent even when a source is named', async () => {
    await analyzer().detectSubjects(samplePhoto('astronaut'), { source: { bucket: 'images', key: 'astronaut.jpg' } });
    expect(rekognition.commandCalls(DetectFacesCommand)[0]!.args[0].input.Image!.Bytes).toBeDefined();
  });

  test('a source that needs conversion is sent as converted bytes, not by reference', async () => {
    const webp = await sharp(samplePhoto('chelsea')).webp().toBuffer();
    await analyzer({ readFromS3: true }).detectSubjects(webp, { source: { bucket: 'images', key: 'chelsea.webp' } });
    expect(rekognition.commandCalls(DetectFacesCommand)[0]!.args[0].input.Image!.Bytes).toBeDefined();
  });

  test('when Rekognition cannot read the S3 object, the bytes are sent instead', async () => {
    rekognition
      .on(DetectFacesCommand)
      .rejectsOnce(new InvalidS3ObjectException({ message: 'Unable to get object metadata from S3. Check object key, region and/or access permissions.', ...meta }))
      .resolves(response('detect-faces-two'));
    const result = await analyzer({ readFromS3: true }).detectSubjects(samplePhoto('astronaut'), { source: { bucket: 'images', key: 'gone.jpg' } });
    expect(result.faces).toHaveLength(2);
    const calls = rekognition.commandCalls(DetectFacesCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.args[0].input.Image!.S3Object).toBeDefined();
    expect(calls[1]!.args[0].input.Image!.Bytes).toBeDefined();
  });
});

describe('throttling and errors', () => {
  test('throttling is retried with growing, jittered backoff, then succeeds', async () => {
    rekognition
      .on(DetectModerationLabelsCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', ...meta }))
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'Provisioned rate exceeded.', ...meta }))
      .resolves(response('detect-moderation-labels-safe'));
    await expect(analyzer().moderate(samplePhoto('coffee'), { minConfidence: 75 })).resolves.toMatchObject({ labels: [] });
    expect(rekognition.commandCalls(DetectModerationLabelsCommand)).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    // Full jitter under a ceiling that doubles: 200 ms, then 400 ms.
    expect(sleeps[0]).toBeLessThanOrEqual(200);
    expect(sleeps[1]).toBeLessThanOrEqual(400);
  });

  test('throttling that does not pass becomes a retryable TransientError after 4 attempts', async () => {
    rekognition.on(DetectFacesCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', ...meta }));
    const failure = analyzer().detectSubjects(samplePhoto('coffee'));
    await expect(failure).rejects.toMatchObject({ name: 'TransientError', status: 503, code: 'Rekognition::Throttled' });
    expect(rekognition.commandCalls(DetectFacesCommand)).toHaveLength(4);
  });

  test('a server fault is retried and then reported as TransientError', async () => {
    rekognition.on(DetectFacesCommand).rejects(new InternalServerError({ message: 'Internal server error', ...meta }));
    await expect(analyzer().detectSubjects(samplePhoto('coffee'))).rejects.toMatchObject({ name: 'TransientError', code: 'Rekognition::Unavailable' });
    expect(rekognition.commandCalls(DetectFacesCommand)).toHaveLength(4);
  });

  test.each([
    ['InvalidImageFormatException', () => new InvalidImageFormatException({ message: 'Request has invalid image format', ...meta }), 'ImageError', 415, 'ImageSource::UnsupportedFormat'],
    ['ImageTooLargeException', () => new ImageTooLargeException({ message: 'Image size is too large.', ...meta }), 'ImageError', 413, 'ImageSource::TooLarge'],
    ['InvalidParameterException', () => new InvalidParameterException({ message: 'Request has invalid parameters', ...meta }), 'ImageError', 422, 'ImageSource::CannotAnalyze'],
    ['AccessDeniedException', () => new AccessDeniedException({ message: 'User is not authorized', ...meta }), 'ShutterError', 500, 'Rekognition::DetectModerationLabelsError'],
  ] as const)('%s is mapped, not retried', async (_name, error, name, status, code) => {
    rekognition.on(DetectModerationLabelsCommand).rejects(error());
    await expect(analyzer().moderate(samplePhoto('coffee'), { minConfidence: 75 })).rejects.toMatchObject({ name, status, code });
    expect(rekognition.commandCalls(DetectModerationLabelsCommand)).toHaveLength(1);
  });

  test('other DetectFaces failures carry SIH’s SmartCrop::Error, and hide their detail from clients', async () => {
    rekognition.on(DetectFacesCommand).rejects(new AccessDeniedException({ message: 'User: arn:aws:sts::123:assumed-role/x is not authorized', ...meta }));
    const error = await analyzer()
      .detectSubjects(samplePhoto('coffee'))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 500, code: 'SmartCrop::Error' });
    expect((error as { publicMessage: string }).publicMessage).not.toContain('arn:aws');
  });

  test('an aborted request is not retried', async () => {
    const controller = new AbortController();
    rekognition.on(DetectFacesCommand).callsFake(() => {
      controller.abort();
      throw new ThrottlingException({ message: 'Rate exceeded', ...meta });
    });
    await expect(analyzer().detectSubjects(samplePhoto('coffee'), { signal: controller.signal })).rejects.toBeDefined();
    expect(rekognition.commandCalls(DetectFacesCommand)).toHaveLength(1);
  });
});

/**
 * A STAND-IN for Amazon Rekognition (nothing local emulates it): an HTTP server that speaks its
 * wire protocol (AWS JSON 1.1, `X-Amz-Target: RekognitionService.<Operation>`) and answers
 * DetectModerationLabels and DetectFaces with responses shaped like the service's recorded
 * ones. The image decides the answer: images registered with `flag()` (by their bytes) and S3
 * objects whose key contains `flagged` get an explicit-nudity label; every image gets one face,
 * centred in its upper half.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export interface StandIn {
  endpoint: string;
  calls: Array<{ operation: string; key: string | undefined }>;
  /** Moderation flags this image (sent as Bytes) from now on. */
  flag(image: Buffer): void;
  stop(): Promise<void>;
}

export async function startRekognitionStandIn(): Promise<StandIn> {
  const calls: StandIn['calls'] = [];
  const flagged = new Set<string>();
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const operation = String(request.headers['x-amz-target'] ?? '').replace(/^RekognitionService\./, '');
      const input = JSON.parse(body || '{}') as { Image?: { Bytes?: string; S3Object?: { Bucket?: string; Name?: string } } };
      const key = input.Image?.S3Object?.Name;
      const bytes = input.Image?.Bytes;
      calls.push({ operation, key });
      const reply = (status: number, payload: unknown) => {
        response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': `stand-in-${calls.length}` });
        response.end(JSON.stringify(payload));
      };
      switch (operation) {
        case 'DetectModerationLabels':
          return reply(200, {
            ModerationLabels: key?.includes('flagged') || (bytes !== undefined && flagged.has(sha256(Buffer.from(bytes, 'base64'))))
              ? [
                  { Confidence: 98.7, Name: 'Explicit Nudity', ParentName: '', TaxonomyLevel: 1 },
                  { Confidence: 98.7, Name: 'Nudity', ParentName: 'Explicit Nudity', TaxonomyLevel: 2 },
                ]
              : [],
            ModerationModelVersion: '7.0',
          });
        case 'DetectFaces':
          return reply(200, {
            FaceDetails: [
              {
                BoundingBox: { Width: 0.2, Height: 0.3, Left: 0.4, Top: 0.1 },
                Confidence: 99.9,
                Landmarks: [],
                Pose: { Roll: 0, Yaw: 0, Pitch: 0 },
                Quality: { Brightness: 80, Sharpness: 90 },
              },
            ],
          });
        default:
          return reply(400, { __type: 'InvalidParameterException', Message: `stand-in: ${operation} is not recorded` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, calls, flag: (image) => flagged.add(sha256(image)), stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * The local server, started for real on a free port, with the sources SIH's unit tests name:
 * the conformance suite speaks HTTP to it, as a migrating SIH user's clients would.
 */
import sharp, { type Sharp } from 'sharp';
import { startServer, type LocalServer } from '../../../api/local-server.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { samplePhoto } from '../../helpers/images.js';

export interface SihAnswer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  /** The JSON error body, when the answer is one. */
  error?: { status: number; code: string; message: string };
}

export interface SihServer {
  app: TestApp;
  /** The 400×300 JPEG most cases transform (the examples use that size). */
  photo: Buffer;
  get(path: string, headers?: Record<string, string>): Promise<SihAnswer>;
  close(): Promise<void>;
}

/** `/` + base64 of a Default request, as SIH's docs build them. */
export const defaultPath = (request: Record<string, unknown>) => `/${Buffer.from(JSON.stringify(request)).toString('base64')}`;

export async function startSihServer(env: Record<string, string> = {}): Promise<SihServer> {
  const app = await createTestApp(env);
  const photo = await sharp(samplePhoto('coffee')).resize(400, 300, { fit: 'fill' }).jpeg({ quality: 92 }).toBuffer();
  const { storage } = app.platform;
  const put = (key: string, body: Buffer, contentType?: string) => storage.put('images', key, body, contentType ? { contentType } : {});
  await Promise.all([
    put('src.jpg', photo, 'image/jpeg'),
    put('test-image-001.jpg', photo, 'image/jpeg'),
    put('thumbor-image (1) suffix.jpg', photo, 'image/jpeg'),
    put('fit-in-thumbor-image (1) suffix.jpg', photo, 'image/jpeg'),
    put('test-100x100/test/beach-100x100.jpg', photo, 'image/jpeg'),
    put('中文', photo, 'image/jpeg'),
    put('image_without_extension', photo, 'image/jpeg'),
    put('src.png', await sharp(photo).png().toBuffer(), 'image/png'),
    put('src.avif', await sharp(photo).avif({ quality: 60, effort: 2 }).toBuffer(), 'image/avif'),
    put('image.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#0a0"/></svg>'), 'image/svg+xml'),
    put('mark.png', await sharp({ create: { width: 100, height: 50, channels: 4, background: '#ff0000' } }).png().toBuffer(), 'image/png'),
  ]);
  const server: LocalServer = await startServer(app.app.handle, { port: 0, host: '127.0.0.1' });
  return {
    app,
    photo,
    async get(path, headers = {}) {
      const response = await fetch(`${server.url}${path}`, { headers });
      const bytes = Buffer.from(await response.arrayBuffer());
      const json = response.headers.get('content-type') === 'application/json';
      return { status: response.status, headers: response.headers, bytes, ...(json ? { error: JSON.parse(bytes.toString()) } : {}) };
    },
    close: () => server.close({ graceMs: 1000 }),
  };
}

/** What a case expects: an image (format, size, optionally the same pixels as raw sharp), or SIH's error. */
export type Expected =
  | { format: string; width: number; height: number; contentType?: string; like?: (image: Sharp) => Sharp }
  | { status: number; code: string };

export interface Case {
  /** The SIH unit test the case comes from: `file › "test name"` (or what of it the case carries over). */
  sih: string;
  path: string;
  headers?: Record<string, string>;
  expected: Expected;
}

/** Checks one answer against its case: behaviour (status, code, type, size, pixels), never bytes. */
export async function expectAnswer(server: SihServer, { path, headers, expected }: Case): Promise<void> {
  const answer = await server.get(path, headers);
  if ('code' in expected) {
    expect({ status: answer.status, code: answer.error?.code }).toEqual(expected);
    return;
  }
  expect({ status: answer.status, error: answer.error }).toEqual({ status: 200, error: undefined });
  const metadata = await sharp(answer.bytes).metadata();
  const format = metadata.format === 'heif' && metadata.compression === 'av1' ? 'avif' : metadata.format;
  expect({ format, width: metadata.width, height: metadata.height }).toEqual({ format: expected.format, width: expected.width, height: expected.height });
  expect(answer.headers.get('content-type')).toBe(expected.contentType ?? `image/${expected.format}`);
  if (expected.like) {
    const reference = await expected.like(sharp(server.photo)).png().toBuffer();
    const [a, b] = await Promise.all([answer.bytes, reference].map((image) => sharp(image).removeAlpha().raw().toBuffer()));
    expect(a!.length).toBe(b!.length);
    let total = 0;
    for (let i = 0; i < a!.length; i++) total += Math.abs(a![i]! - b![i]!);
    // The answer is lossy (JPEG at quality 80, shrink-on-load): a few levels on average. A wrong
    // geometry (another crop, a rotation, a mirror) is tens of levels.
    expect(total / a!.length).toBeLessThan(8);
  }
}

/**
 * The Node servers the bench loads over HTTP, each in its own process so its CPU and peak RSS
 * can be read from /proc:
 *
 *   shutter    the real local server (console/server/app.ts + api/local-server.ts), configured by env
 *   raw-sharp  the HTTP ceiling for Node: read the file, one sharp chain, write the bytes (no
 *              width: the file as stored)
 *   sih        SIH's request path as its Lambda handler runs it: S3 object read into a Buffer,
 *              metadata() then sharp(...).withMetadata(), resize, toFormat, toBuffer, base64 body
 *              in a Lambda proxy result (JSON), which API Gateway parses and decodes again. No
 *              result cache, sharp's default settings (SIH sets none).
 *
 * Usage: node node-server.mjs <mode> <data dir>; prints "listening <url>" once bound (127.0.0.1, free port).
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import sharp, { type FormatEnum } from 'sharp';

const [mode = 'shutter', dataDir = '.'] = process.argv.slice(2);
const bucketDir = path.join(dataDir, 'buckets', 'images');

async function startShutter(): Promise<string> {
  const { loadConfig } = await import('../../core/config.js');
  const { createPlatform } = await import('../../core/compose.js');
  const { createApp } = await import('../../console/server/app.js');
  const { startServer } = await import('../../api/local-server.js');
  const config = loadConfig({ ...process.env, SHUTTER_DATA_DIR: dataDir, SHUTTER_SEED_SAMPLES: 'No' });
  const app = createApp(createPlatform(config));
  app.ready = true;
  const server = await startServer(app.handle, { port: 0, host: '127.0.0.1' });
  return server.url;
}

type Handler = (request: http.IncomingMessage) => Promise<{ status: number; type: string; body: Buffer }>;

const rawSharp: Handler = async (request) => {
  const url = new URL(request.url ?? '/', 'http://x');
  const input = await readFile(path.join(bucketDir, path.basename(url.pathname)));
  // No width: the file as stored, the floor for shutter's pass-through answers.
  if (!url.searchParams.has('width')) return { status: 200, type: 'image/jpeg', body: input };
  const format = url.searchParams.get('format') ?? 'jpeg';
  const animated = url.searchParams.get('animated') === '1';
  const options: Record<string, unknown> = { ...JSON.parse(url.searchParams.get('options') ?? '{}') };
  const body = await sharp(input, animated ? { pages: -1 } : {})
    .autoOrient()
    .resize(Number(url.searchParams.get('width')))
    .toFormat(format as keyof FormatEnum, options)
    .toBuffer();
  return { status: 200, type: `image/${format}`, body };
};

const sih: Handler = async (request) => {
  const encoded = (request.url ?? '/').slice(1);
  const decoded = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as {
    key: string;
    edits: { resize: { width: number }; animated?: boolean };
    outputFormat: string;
    options?: Record<string, unknown>;
  };
  // S3 GetObject → Body.transformToByteArray() → Buffer
  const originalImage = Buffer.from(await readFile(path.join(bucketDir, path.basename(decoded.key))));
  const contentType = decoded.key.endsWith('.gif') ? 'image/gif' : 'image/jpeg';
  const options = { failOnError: false, animated: decoded.edits.animated ?? contentType === 'image/gif', limitInputPixels: true };
  // instantiateSharpImage: metadata() for validation, then a new instance keeping metadata.
  const metadata = await sharp(originalImage, options).metadata();
  let image = sharp(originalImage, options).withMetadata();
  if (options.animated && (!metadata.pages || metadata.pages <= 1)) image = sharp(originalImage, { ...options, animated: false }).withMetadata();
  image.resize(decoded.edits.resize);
  image.toFormat(decoded.outputFormat as keyof FormatEnum, decoded.options ?? {});
  const processed = (await image.toBuffer()).toString('base64');
  if (processed.length > 6 * 1024 * 1024) return { status: 413, type: 'application/json', body: Buffer.from('{}') };
  // The Lambda runtime serialises the proxy result; API Gateway parses it and decodes the body.
  const result = JSON.stringify({ statusCode: 200, isBase64Encoded: true, headers: { 'Content-Type': `image/${decoded.outputFormat}` }, body: processed });
  const parsed = JSON.parse(result) as { statusCode: number; headers: Record<string, string>; body: string };
  return { status: parsed.statusCode, type: parsed.headers['Content-Type']!, body: Buffer.from(parsed.body, 'base64') };
};

/** The same bytes for every request, read once: the floor of any cache hit over HTTP on this machine. */
async function fromMemory(): Promise<Handler> {
  const body = await readFile(process.env.BENCH_BODY_FILE!);
  const type = process.env.BENCH_BODY_TYPE ?? 'application/octet-stream';
  return async () => ({ status: 200, type, body });
}

async function startPlain(handler: Handler): Promise<string> {
  const server = http.createServer((request, response) => {
    handler(request).then(
      ({ status, type, body }) => {
        response.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
        response.end(body);
      },
      (error: unknown) => {
        response.writeHead(500);
        response.end(String(error));
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

const url = mode === 'shutter' ? await startShutter() : await startPlain(mode === 'sih' ? sih : mode === 'memory' ? await fromMemory() : rawSharp);
console.log(`listening ${url}`);

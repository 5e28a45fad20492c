/**
 * The image handler exactly as scripts/build-lambdas.mjs bundles it for Lambda (ESM, minified,
 * AWS SDK inside), run in a fresh Node process as Lambda would — API Gateway event in, proxy
 * result out — against the real S3-compatible server. Only sharp differs: this machine's build
 * instead of the arm64 one that ships.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { samplePhoto } from '../helpers/images.js';

const run = promisify(execFile);
const root = path.resolve('.');
let bundle: string;
let endpoint: string;
const bucket = `bundle-${Date.now()}`;
let invocations = 0;

/** Invokes the bundle's handler in a child process with the given environment and event. */
async function invoke(event: Record<string, unknown>, env: Record<string, string> = {}, entry = bundle) {
  const runner = path.join(path.dirname(entry), 'invoke.mjs');
  const resultFile = path.join(path.dirname(bundle), `result-${++invocations}.json`);
  // The handler also logs to stdout (access lines, CloudWatch EMF), possibly after it returns:
  // the result goes to its own file.
  writeFileSync(
    runner,
    `import { writeFileSync } from 'node:fs';\nconst { handler } = await import(${JSON.stringify(entry)});\nwriteFileSync(process.argv[3], JSON.stringify(await handler(JSON.parse(process.argv[2]))));\n`,
  );
  await run(process.execPath, [runner, JSON.stringify(event), resultFile], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_LAMBDA_FUNCTION_NAME: 'image-handler',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      S3_ENDPOINT: endpoint,
      SOURCE_BUCKETS: bucket,
      ...env,
    },
    maxBuffer: 32 * 1024 * 1024,
  });
  const result = readFileSync(resultFile, 'utf8');
  return JSON.parse(result) as {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
    isBase64Encoded: boolean;
  };
}

const apiGatewayEvent = (
  pathname: string,
  query: Record<string, string> | null = null,
  headers: Record<string, string> = {},
) => ({
  resource: '/{proxy+}',
  path: pathname,
  httpMethod: 'GET',
  headers,
  queryStringParameters: query,
  requestContext: { stage: 'image' },
  isBase64Encoded: false,
});

beforeAll(async () => {
  const url = process.env.SHUTTER_TEST_S3_ENDPOINT;
  if (!url) throw new Error('SHUTTER_TEST_S3_ENDPOINT is not set: the S3-compatible server did not start');
  endpoint = url;
  // Inside the repository, so the bundle's external `sharp` resolves to this machine's build.
  mkdirSync(path.join(root, '.cache'), { recursive: true });
  const outdir = mkdtempSync(path.join(root, '.cache', 'bundle-test-'));
  await run(
    process.execPath,
    [
      path.join(root, 'scripts/build-lambdas.mjs'),
      '--outdir',
      outdir,
      '--only',
      'image-handler',
      '--only',
      'console-api',
      '--no-sharp',
    ],
    { cwd: root },
  );
  bundle = path.join(outdir, 'image-handler', 'index.mjs');
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'photos/astronaut.jpg',
      Body: samplePhoto('astronaut'),
      ContentType: 'image/jpeg',
    }),
  );
}, 120_000);

afterAll(() => rmSync(path.dirname(path.dirname(bundle)), { recursive: true, force: true }));

test('serves a resized WebP from S3 for a readable query URL', async () => {
  const result = await invoke(apiGatewayEvent('/photos/astronaut.jpg', { width: '120', format: 'webp' }));
  expect(result).toMatchObject({
    statusCode: 200,
    isBase64Encoded: true,
    headers: expect.objectContaining({ 'Content-Type': 'image/webp' }),
  });
  const metadata = await sharp(Buffer.from(result.body, 'base64')).metadata();
  expect(metadata).toMatchObject({ format: 'webp', width: 120 });
}, 60_000);

test('answers a missing key with SIH JSON and a 404, not a crash', async () => {
  const result = await invoke(apiGatewayEvent('/photos/nothing-here.jpg'));
  expect(result.statusCode).toBe(404);
  expect(JSON.parse(result.body)).toMatchObject({ status: 404, code: expect.any(String) });
}, 60_000);

test('negotiates WebP from Accept when AUTO_WEBP is Yes (the CloudFront function leaves image/webp in it)', async () => {
  const result = await invoke(
    apiGatewayEvent('/fit-in/80x80/photos/astronaut.jpg', null, { accept: 'image/webp' }),
    { AUTO_WEBP: 'Yes' },
  );
  expect(result.statusCode).toBe(200);
  expect((await sharp(Buffer.from(result.body, 'base64')).metadata()).format).toBe('webp');
}, 60_000);

test("the console's API bundle starts in Lambda (top-level init) and answers operators from S3, refusing others", async () => {
  const consoleBundle = path.join(path.dirname(path.dirname(bundle)), 'console-api', 'index.mjs');
  // CONSOLE_TOKEN stands in for the Secrets Manager secret here: no AWS outside S3 in this test.
  const env = { AWS_LAMBDA_FUNCTION_NAME: 'console-api', CONSOLE_TOKEN: 'bundle-test-token-0123456789', UPLOADS_BUCKET: bucket };
  const listing = apiGatewayEvent(`/api/buckets/${bucket}/objects`, { prefix: 'photos/' }, { Authorization: 'Bearer bundle-test-token-0123456789' });
  const listed = await invoke(listing, env, consoleBundle);
  expect(listed.statusCode).toBe(200);
  expect(Buffer.from(listed.body, listed.isBase64Encoded ? 'base64' : 'utf8').toString()).toContain('photos/astronaut.jpg');
  const preview = await invoke(
    apiGatewayEvent(`/api/buckets/${bucket}/previews/photos/astronaut.jpg`, { width: '64' }, { Authorization: 'Bearer bundle-test-token-0123456789' }),
    env,
    consoleBundle,
  );
  expect(preview.statusCode).toBe(200);
  expect((await sharp(Buffer.from(preview.body, 'base64')).metadata()).format).toBe('webp');
  expect((await invoke(apiGatewayEvent(`/api/buckets/${bucket}/objects`), env, consoleBundle)).statusCode).toBe(401);
}, 60_000);

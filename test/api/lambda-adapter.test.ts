import { fromApiGatewayEvent, toLambdaResult, type ApiGatewayV1Event, type ApiGatewayV2Event } from '../../api/lambda-adapter.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { fixture, imageInfo, samplePhoto } from '../helpers/images.js';

const v1 = JSON.parse(fixture('events', 'apigw-rest-v1-thumbor.json').toString()) as ApiGatewayV1Event;
const v2 = JSON.parse(fixture('events', 'apigw-http-v2-query.json').toString()) as ApiGatewayV2Event;
const cors = { enabled: false, origin: '*' };

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ AUTO_WEBP: 'Yes' });
  await t.platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'));
});

test('a REST API (v1) event becomes the request the doors expect', () => {
  expect(fromApiGatewayEvent(v1)).toMatchObject({
    method: 'GET',
    path: '/fit-in/100x100/filters:grayscale()/astronaut.jpg',
    query: {},
    headers: { accept: 'image/webp,image/apng,image/*,*/*;q=0.8', host: 'abc123.execute-api.us-east-1.amazonaws.com' },
    requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  });
});

test('an HTTP API (v2) event becomes the same shape', () => {
  expect(fromApiGatewayEvent(v2)).toMatchObject({ method: 'GET', path: '/astronaut.jpg', query: { width: '120', format: 'png' } });
});

test.each([
  ['v1 (REST)', v1, 'image/webp', { format: 'webp', width: 100, height: 100 }],
  ['v2 (HTTP API)', v2, 'image/png', { format: 'png', width: 120, height: 120 }],
])('%s end to end: a base64 binary body with SIH headers', async (_name, event, contentType, expected) => {
  const result = await toLambdaResult(await t.app.handle(fromApiGatewayEvent(event)), { cors });
  expect(result.statusCode).toBe(200);
  expect(result.isBase64Encoded).toBe(true);
  expect(result.headers['Content-Type']).toBe(contentType);
  expect(result.headers['Cache-Control']).toBe('max-age=31536000,public');
  expect(await imageInfo(Buffer.from(result.body, 'base64'))).toMatchObject(expected);
});

test('an error is a JSON body, not base64', async () => {
  const result = await toLambdaResult(await t.app.handle(fromApiGatewayEvent({ ...v2, rawPath: '/missing.jpg', queryStringParameters: {} })), { cors });
  expect(result).toMatchObject({ statusCode: 404, isBase64Encoded: false });
  expect(JSON.parse(result.body)).toMatchObject({ status: 404, code: 'NoSuchKey' });
});

test('a result over the 6 MB response limit is SIH 413 TooLargeImageException without a result store', async () => {
  const big = Buffer.alloc(5 * 1024 * 1024);
  const result = await toLambdaResult({ status: 200, headers: { 'Content-Type': 'image/png' }, body: big }, { cors });
  expect(result.statusCode).toBe(413);
  expect(JSON.parse(result.body)).toEqual({ status: 413, code: 'TooLargeImageException', message: 'The converted image is too large to return.' });
  expect(result.headers['X-Frame-Options']).toBe('DENY');
});

test('with a result store, a large result becomes a redirect', async () => {
  const big = Buffer.alloc(5 * 1024 * 1024);
  const stored: Buffer[] = [];
  const result = await toLambdaResult(
    { status: 200, headers: { 'Content-Type': 'image/png' }, body: big },
    {
      cors,
      storeLarge: async (body) => {
        stored.push(body);
        return { status: 302, headers: { Location: 'https://results.example/abc.png' } };
      },
    },
  );
  expect(stored[0]!.length).toBe(big.length);
  expect(result).toMatchObject({ statusCode: 302, headers: { Location: 'https://results.example/abc.png', 'Referrer-Policy': 'no-referrer' } });
});

test('the large result store puts the body in the result bucket and redirects to a presigned link', async () => {
  const { S3Client, CreateBucketCommand, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const { S3Storage } = await import('../../core/adapters/aws/s3-storage.js');
  const { largeResultStore } = await import('../../api/large-results.js');
  const s3 = new S3Client({ endpoint: process.env.SHUTTER_TEST_S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'results-bucket' }));
  const store = largeResultStore({ storage: new S3Storage(s3), s3: () => s3, bucket: 'results-bucket' });
  const body = Buffer.alloc(7 * 1024 * 1024, 7);
  const response = await store(body, { status: 200, headers: { 'Content-Type': 'image/png' } });
  expect(response.status).toBe(302);
  const location = new URL(response.headers.Location!);
  expect(location.searchParams.get('X-Amz-Expires')).toBe('3600');
  const key = decodeURIComponent(location.pathname.split('/').slice(2).join('/'));
  const stored = await s3.send(new GetObjectCommand({ Bucket: 'results-bucket', Key: key }));
  expect(stored.ContentType).toBe('image/png');
  expect(stored.ContentLength).toBe(body.length);
  // The link really serves the image.
  const fetched = await fetch(response.headers.Location!);
  expect(fetched.status).toBe(200);
  expect(Buffer.from(await fetched.arrayBuffer()).length).toBe(body.length);
});

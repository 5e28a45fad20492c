/**
 * The image Lambda's S3 requests (core/adapters/aws/s3-signed-requests.ts: SigV4-signed GET, HEAD
 * and PUT without the S3 client) answer as the S3 client does, against real servers:
 * - the Storage contract on the shared moto_server, through the storage the composition root
 *   builds in Lambda (signed reads, the S3 client's writes);
 * - signatures checked: a moto_server of this file's own with authentication on (moto recomputes
 *   each request's SigV4 signature with botocore), and a wrong secret refused as the S3 client's is;
 * - keys that need escaping (unicode, sub-delimiters, `%`) reach the wire exactly as the S3 client
 *   sends them (the path is what SigV4 signs, so the same path means the same signature);
 * - retries, timeouts and aborts against a local HTTP stand-in that answers S3's error documents.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import aws4 from 'aws4';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3SignedRequests } from '../../../core/adapters/aws/s3-signed-requests.js';
import { S3Storage } from '../../../core/adapters/aws/s3-storage.js';
import { createStorage } from '../../../core/compose.js';
import { loadConfig } from '../../../core/config.js';
import { startMoto } from '../../services/services.mjs';
import { storageContract } from '../storage-contract.js';

function sharedEndpoint(): string {
  const endpoint = process.env.SHUTTER_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('SHUTTER_TEST_S3_ENDPOINT is not set: the S3-compatible server did not start');
  return endpoint;
}

const region = 'us-east-1';

storageContract('S3 in Lambda: signed requests, the S3 client for streamed writes, lists and deletes (moto_server)', async () => {
  const endpoint = sharedEndpoint();
  const bucket = `reads-contract-${Date.now()}`;
  await new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }).send(new CreateBucketCommand({ Bucket: bucket }));
  // The environment of a Lambda function: its name, region and the role's credentials.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  const config = loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'image-handler', AWS_REGION: region, S3_ENDPOINT: endpoint, SOURCE_BUCKETS: bucket });
  return { storage: createStorage(config), bucket };
});

/** A moto_server of its own, a user allowed everything and its keys; `authenticate()` switches authentication on. */
async function authenticatingMoto() {
  const moto = await startMoto();
  // IAM's query API, unauthenticated until auth is switched on below.
  const iam = async (params: Record<string, string>) => {
    const response = await fetch(moto.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `AWS4-HMAC-SHA256 Credential=setup/20260101/${region}/iam/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: new URLSearchParams({ Version: '2010-05-08', ...params }).toString(),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`IAM ${params.Action}: ${response.status} ${text}`);
    return text;
  };
  await iam({ Action: 'CreateUser', UserName: 'reader' });
  await iam({
    Action: 'PutUserPolicy',
    UserName: 'reader',
    PolicyName: 'all-of-s3',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
  });
  const created = await iam({ Action: 'CreateAccessKey', UserName: 'reader' });
  const credentials = {
    accessKeyId: /<AccessKeyId>([^<]+)</.exec(created)![1]!,
    secretAccessKey: /<SecretAccessKey>([^<]+)</.exec(created)![1]!,
  };
  const authenticate = async () => {
    const switched = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
    if (!switched.ok) throw new Error(`moto_server did not switch authentication on: ${switched.status}`);
  };
  return { ...moto, credentials, authenticate };
}

describe('signatures, checked by a moto_server with authentication on', () => {
  let moto: Awaited<ReturnType<typeof authenticatingMoto>>;
  let client: S3Storage;
  let reads: S3SignedRequests;
  const bucket = 'signed-reads';
  // Keys moto can check (it recomputes a signature from the path it decoded, so the S3 client's own
  // reads of unicode or sub-delimiter keys fail there too): the wire test below covers those.
  const keys = ['plain.jpg', 'a folder/with spaces.jpg', 'a/../b.jpg'];

  beforeAll(async () => {
    moto = await authenticatingMoto();
    const s3 = new S3Client({ endpoint: moto.endpoint, region, forcePathStyle: true, credentials: moto.credentials });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const key of keys) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(key), ContentType: 'image/jpeg', CacheControl: 'max-age=60', Expires: new Date('2030-01-01T00:00:00Z'), Metadata: { origin: 'test' } }));
    }
    // Only reads are checked: moto cannot verify the S3 client's streamed (chunked, checksummed) uploads.
    await moto.authenticate();
    client = new S3Storage(s3);
    reads = new S3SignedRequests({ region, endpoint: moto.endpoint, credentials: moto.credentials });
  }, 60_000);
  afterAll(() => moto?.stop());

  test.each(keys)('%s: get, head and openRead answer what the S3 client answers', async (key) => {
    const expected = await client.get(bucket, key);
    const actual = await reads.get(bucket, key);
    expect(actual.body.toString()).toBe(key);
    expect(actual).toEqual(expected);
    expect(await reads.head(bucket, key)).toEqual(await client.head(bucket, key));
    const opened = await reads.openRead(bucket, key);
    expect(Buffer.concat(await opened.stream.toArray()).toString()).toBe(key);
    expect(opened.info).toEqual((await client.openRead(bucket, key)).info);
  });

  test('a signed PUT stores what the S3 client stores: bytes, type, cache control, metadata, ETag', async () => {
    const body = Buffer.from('signed put body');
    const options = { contentType: 'application/json', cacheControl: 'no-store', metadata: { origin: 'signed' } };
    const { etag } = await reads.put(bucket, 'put/signed one.json', body, options);
    const viaClient = await client.put(bucket, 'put/client one.json', body, options);
    expect(etag).toBe(viaClient.etag);
    const [stored, reference] = await Promise.all([client.get(bucket, 'put/signed one.json'), client.get(bucket, 'put/client one.json')]);
    expect(stored.body.equals(body)).toBe(true);
    expect({ ...stored, key: '', lastModified: 0 }).toEqual({ ...reference, key: '', lastModified: 0 });
    // Without a content type, the S3 client's default.
    await reads.put(bucket, 'put/untyped.bin', body);
    await client.put(bucket, 'put/untyped-client.bin', body);
    expect((await client.head(bucket, 'put/untyped.bin'))!.contentType).toBe((await client.head(bucket, 'put/untyped-client.bin'))!.contentType);
  });

  test('a missing key, a missing bucket: the same errors as the S3 client', async () => {
    const outcome = (promise: Promise<unknown>) => promise.then(
      () => 'resolved',
      (error: { status?: number; code?: string; name?: string }) => ({ status: error.status, code: error.code, name: error.name }),
    );
    for (const [b, key] of [[bucket, 'missing.jpg'], ['no-such-bucket-here', 'x.jpg']] as const) {
      expect(await outcome(reads.get(b, key))).toEqual(await outcome(client.get(b, key)));
      expect(await reads.head(b, key)).toEqual(await client.head(b, key));
    }
    expect(await outcome(reads.get(bucket, 'missing.jpg'))).toMatchObject({ status: 404, code: 'NoSuchKey' });
  });

  test('a wrong secret is refused as it is for the S3 client: 403 ImageBucket::CannotAccessBucket', async () => {
    const wrong = { accessKeyId: moto.credentials.accessKeyId, secretAccessKey: 'not-the-secret' };
    const sdk = new S3Storage(new S3Client({ endpoint: moto.endpoint, region, forcePathStyle: true, credentials: wrong }));
    const signed = new S3SignedRequests({ region, endpoint: moto.endpoint, credentials: wrong });
    await expect(sdk.get(bucket, 'plain.jpg')).rejects.toMatchObject({ status: 403, code: 'ImageBucket::CannotAccessBucket' });
    await expect(signed.get(bucket, 'plain.jpg')).rejects.toMatchObject({ status: 403, code: 'ImageBucket::CannotAccessBucket' });
  });
});

/** An HTTP stand-in for S3 on 127.0.0.1: `answer` decides each request's response. */
async function standIn(answer: (request: http.IncomingMessage, response: http.ServerResponse, count: number) => void) {
  let count = 0;
  const server = http.createServer((request, response) => answer(request, response, ++count));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The path of the one request `read` sends to a stand-in (S3's 404 answer ends it). */
async function wirePath(read: (endpoint: string) => Promise<unknown>): Promise<string> {
  let path = '';
  const server = await standIn((request, response) => {
    path = request.url!;
    response.writeHead(404, { 'Content-Type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code><Message>none</Message></Error>');
  });
  try {
    await read(server.endpoint).catch(() => undefined);
    return path;
  } finally {
    await server.close();
  }
}

test.each(['unicodé/ünïcødé 写真.png', "odd!'()*&$@=;:+,~[].jpg", 'percent%20sign.jpg', 'a//double/slash.jpg', 'a/../b.jpg', 'plus+and space.jpg'])(
  '%s goes on the wire as the S3 client sends it',
  async (key) => {
    const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
    const sdkPath = await wirePath((endpoint) => new S3Storage(new S3Client({ endpoint, region, forcePathStyle: true, credentials, maxAttempts: 1 })).get('bucket', key));
    const readsPath = await wirePath((endpoint) => new S3SignedRequests({ region, endpoint, credentials, maxAttempts: 1 }).get('bucket', key));
    expect(sdkPath).toMatch(/^\/bucket\//);
    expect(readsPath).toBe(sdkPath.replace(/\?.*$/, ''));
    // ...and the path it signs (the canonical request's second line) is the one it sends.
    const canonical = new aws4.RequestSigner({ service: 's3', region, method: 'GET', host: '127.0.0.1', path: readsPath, headers: {} }, credentials).canonicalString();
    expect(canonical.split('\n')[1]).toBe(readsPath);
  },
);

const slowDown = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

describe('retries, timeouts and aborts (an HTTP stand-in answering as S3 does)', () => {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

  test('a throttled read is retried and then answered', async () => {
    const server = await standIn((_request, response, count) => {
      if (count < 3) response.writeHead(503, { 'Content-Type': 'application/xml' }).end(slowDown);
      else response.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': '3', ETag: '"abc"', 'Last-Modified': 'Sat, 05 Dec 2026 10:00:00 GMT' }).end('jpg');
    });
    try {
      const object = await new S3SignedRequests({ region, endpoint: server.endpoint, credentials, maxAttempts: 3 }).get('b', 'k.jpg');
      expect(object.body.toString()).toBe('jpg');
      expect(object).toMatchObject({ etag: '"abc"', contentType: 'image/jpeg', size: 3 });
      expect(server.requests()).toBe(3);
    } finally {
      await server.close();
    }
  });

  test('throttling that outlasts the attempts is a 503 Storage::Unavailable carrying S3\'s message', async () => {
    const server = await standIn((_request, response) => response.writeHead(503, { 'Content-Type': 'application/xml' }).end(slowDown));
    try {
      await expect(new S3SignedRequests({ region, endpoint: server.endpoint, credentials, maxAttempts: 2 }).get('b', 'k.jpg')).rejects.toMatchObject({
        status: 503,
        code: 'Storage::Unavailable',
        message: expect.stringContaining('Please reduce your request rate.') as unknown,
      });
      expect(server.requests()).toBe(2);
    } finally {
      await server.close();
    }
  });

  test('a server that never answers: each attempt times out, then a 503 Storage::Unavailable', async () => {
    const server = await standIn(() => undefined);
    try {
      await expect(new S3SignedRequests({ region, endpoint: server.endpoint, credentials, maxAttempts: 2, timeoutMs: 200 }).get('b', 'k.jpg')).rejects.toMatchObject({
        status: 503,
        code: 'Storage::Unavailable',
      });
      expect(server.requests()).toBe(2);
    } finally {
      await server.close();
    }
  });

  test('an aborted read is Storage::Aborted and is not retried', async () => {
    const server = await standIn(() => undefined);
    try {
      const controller = new AbortController();
      const read = new S3SignedRequests({ region, endpoint: server.endpoint, credentials, maxAttempts: 3 }).get('b', 'k.jpg', { signal: controller.signal });
      await waitFor(() => server.requests() === 1);
      controller.abort();
      await expect(read).rejects.toMatchObject({ status: 503, code: 'Storage::Aborted' });
      expect(server.requests()).toBe(1);
    } finally {
      await server.close();
    }
  });

  test('an object over maxBytes is refused from its Content-Length, before its body is read', async () => {
    const server = await standIn((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': String(10 * 1024 * 1024) });
      response.write(Buffer.alloc(1024));
    });
    try {
      await expect(new S3SignedRequests({ region, endpoint: server.endpoint, credentials }).get('b', 'big.jpg', { maxBytes: 1024 })).rejects.toMatchObject({
        status: 413,
        code: 'ImageSource::TooLarge',
      });
    } finally {
      await server.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

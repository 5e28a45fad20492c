/**
 * `shutter serve` shuts down gracefully: on SIGTERM it stops accepting connections, finishes the
 * requests in flight and exits 0. The in-flight request is made slow by reading its source from
 * the real S3-compatible server through the fault proxy, delayed.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, imageInfo, makeImage } from '../helpers/images.js';
import { FaultProxy } from '../reliability/fault-proxy.js';
import { recordRow } from '../reliability/report-store.js';

let proxy: FaultProxy;
let child: ChildProcess | undefined;
const BUCKET = `serve-${Date.now()}`;

beforeAll(async () => {
  const endpoint = process.env.SHUTTER_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('SHUTTER_TEST_S3_ENDPOINT is not set: the S3-compatible server did not start');
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a.jpg', Body: await makeImage(64, 48, 'jpeg') }));
  proxy = await FaultProxy.start(endpoint);
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await proxy?.close();
});

test('SIGTERM: no new connections, the in-flight request finishes, exit 0', async () => {
  child = spawn(process.execPath, ['scripts/run-ts.mjs', 'bin/shutter.ts', 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      SHUTTER_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'shutter-serve-')),
      SHUTTER_STORAGE: 's3',
      S3_ENDPOINT: proxy.url,
      SOURCE_BUCKETS: BUCKET,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      SHUTTER_SEED_SAMPLES: 'No',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

  /** Waits for a condition, never a fixed time: a busy machine may take seconds for any step. */
  const until = async (condition: () => boolean) => {
    const deadline = Date.now() + 20_000;
    while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  await until(() => /"msg":"shutter is serving"/.test(output));
  const port = Number(/"port":(\d+)/.exec(output)?.[1]);
  expect(port).toBeGreaterThan(0);
  const base = `http://127.0.0.1:${port}`;

  // Every storage call now takes 1.5 s: the request below is in flight when SIGTERM arrives.
  proxy.setFault({ kind: 'slow', delayMs: 1_500 });
  const inFlight = fetch(`${base}/a.jpg?width=32`).then(async (response) => ({ status: response.status, bytes: Buffer.from(await response.arrayBuffer()) }));
  // In flight: its storage read is held by the proxy.
  await until(() => proxy.injected.slow > 0);
  expect(proxy.injected.slow).toBeGreaterThan(0);
  child.kill('SIGTERM');
  // The listener is closed in the same turn as this line is written.
  await until(() => /shutting down: draining/.test(output));
  await expect(fetch(`${base}/health`)).rejects.toThrow();

  const answer = await inFlight;
  expect(answer.status).toBe(200);
  expect(await imageInfo(answer.bytes)).toMatchObject({ format: 'jpeg', width: 32, height: 24 });
  expect(await exited).toBe(0);
  // pino writes `msg` last: match the fields, not their order.
  expect(output).toMatch(/"signal":"SIGTERM","inFlight":1,"msg":"shutting down: draining in-flight requests"/);
  expect(output).toMatch(/"msg":"stopped"/);
  recordRow('Load', 'Graceful shutdown: SIGTERM with a request in flight', { 'in-flight requests finished': '1 of 1 (200, right image)', 'new connections after the signal': 'refused', 'exit code': 0 }, import.meta.filename);
}, 40_000);

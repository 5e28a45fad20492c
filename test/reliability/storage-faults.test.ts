/**
 * Storage faults on the on-demand path: the real S3-compatible server (moto_server, started by
 * the suite's global setup) behind a fault-injecting proxy. For each fault (S3 500 and 503
 * SlowDown, always or now and then, connection resets, bodies cut in half, slow and silent
 * answers) the handler answers either the right image or a 503 with Retry-After and a stable
 * code; it never hangs past the request timeout, never serves a wrong or partial image, and
 * serves every image again once the link heals (nothing lost).
 */
import { jest } from '@jest/globals';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { imageInfo, makeImage } from '../helpers/images.js';
import { FaultProxy, type FaultPlan } from './fault-proxy.js';
import { TRANSIENT_CODES } from './known-codes.js';
import { recordRow } from './report-store.js';

const REQUEST_TIMEOUT_MS = 4_000;
const HANG_GUARD_MS = REQUEST_TIMEOUT_MS + 2_000;
const BUCKET = `faults-${Date.now()}`;
/** key → its width, so a wrong or partial image cannot pass for the right one. */
const IMAGES: Record<string, number> = { 'a.jpg': 40, 'b.jpg': 44, 'c.png': 48, 'dir/d.webp': 52 };

let proxy: FaultProxy;
let t: TestApp;
const rows: Array<[string, Record<string, string | number>]> = [];

beforeAll(async () => {
  jest.spyOn(console, 'error').mockImplementation(() => {});
  const endpoint = process.env.SHUTTER_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('SHUTTER_TEST_S3_ENDPOINT is not set: the S3-compatible server did not start');
  // moto accepts any credentials; the SDK reads them from the environment as it would in AWS.
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  const direct = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
  await direct.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const [key, width] of Object.entries(IMAGES)) {
    const format = key.endsWith('.png') ? 'png' : key.endsWith('.webp') ? 'webp' : 'jpeg';
    await direct.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await makeImage(width, 30, format) }));
  }
  proxy = await FaultProxy.start(endpoint);
  t = await createTestApp({
    // No result cache: every request must go to storage for the faults to show.
    RESULT_CACHE_MB: '0',
    SHUTTER_STORAGE: 's3',
    S3_ENDPOINT: proxy.url,
    AWS_REGION: 'us-east-1',
    SOURCE_BUCKETS: BUCKET,
    STORAGE_TIMEOUT_MS: '1000',
    PROCESSING_TIMEOUT_MS: '3000',
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  });
});

afterAll(async () => {
  await proxy?.close();
  for (const [category, values] of rows) recordRow('Faults', category, values, import.meta.filename);
});

interface Answer {
  key: string;
  status: number;
  code?: string;
  retryAfter?: string;
  wrong: boolean;
}

/** Requests every image once (resized, so it is decoded), in parallel; never waits past the guard. */
async function requestAll(extra: (key: string) => Record<string, string> = () => ({})): Promise<Answer[]> {
  return Promise.all(
    Object.entries(IMAGES).map(async ([key, width]) => {
      let timer: NodeJS.Timeout | undefined;
      const response = await Promise.race([
        t.request(`/${key}?width=${width - 10}`, { headers: extra(key) }),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${key}: no answer within ${HANG_GUARD_MS} ms`)), HANG_GUARD_MS))),
      ]).finally(() => clearTimeout(timer));
      const answer: Answer = { key, status: response.status, wrong: false };
      if (response.status === 200) answer.wrong = (await imageInfo(response.bytes).catch(() => ({ width: -1 }))).width !== width - 10;
      else {
        answer.code = JSON.parse(response.bytes.toString()).code;
        if (response.headers['Retry-After']) answer.retryAfter = response.headers['Retry-After'];
      }
      return answer;
    }),
  );
}

/** Injects a fault for a few rounds, checks every answer, heals, checks every image is back. */
async function scenario(name: string, plan: FaultPlan, options: { rounds?: number; expect: 'unavailable' | 'mixed' | 'served' }) {
  const injectedBefore = proxy.totalInjected;
  proxy.setFault(plan);
  const answers: Answer[] = [];
  for (let round = 0; round < (options.rounds ?? 2); round++) answers.push(...(await requestAll()));
  proxy.setFault(undefined);
  const healed = await requestAll();

  for (const answer of answers) {
    // Either the right image, or a transient 503 that tells the client when to come back.
    if (answer.status === 200) expect({ ...answer, wrong: answer.wrong }).toMatchObject({ wrong: false });
    else expect({ ...answer, transient: TRANSIENT_CODES.has(answer.code ?? '') }).toMatchObject({ status: 503, retryAfter: '1', transient: true });
  }
  if (options.expect === 'unavailable') expect(answers.filter((answer) => answer.status !== 503)).toEqual([]);
  if (options.expect === 'served') expect(answers.every((answer) => answer.status === 200)).toBe(true);
  expect(healed.map(({ key, status, wrong }) => ({ key, status, wrong }))).toEqual(Object.keys(IMAGES).map((key) => ({ key, status: 200, wrong: false })));

  const served = answers.filter((answer) => answer.status === 200).length;
  rows.push([
    `S3 via proxy: ${name}`,
    {
      'faults injected': proxy.totalInjected - injectedBefore,
      requests: answers.length,
      'served right': served,
      '503 + Retry-After': answers.length - served,
      'wrong or partial images': answers.filter((answer) => answer.wrong).length,
      hangs: 0,
      'images lost after recovery': healed.filter((answer) => answer.status !== 200).length,
      duplicated: 'n/a (read path)',
      codes: [...new Set(answers.map((answer) => answer.code).filter(Boolean))].join(', ') || '-',
    },
  ]);
}

describe('S3 faults on the on-demand path (moto_server behind a fault proxy)', () => {
  test('baseline: every image through the proxy', async () => {
    expect((await requestAll()).every((answer) => answer.status === 200 && !answer.wrong)).toBe(true);
  });

  test('S3 500 InternalError on every call → 503 Storage::Unavailable, after the SDK retried', async () => {
    await scenario('500 InternalError, always', { kind: 'http-500' }, { expect: 'unavailable' });
    expect(proxy.injected['http-500']).toBeGreaterThanOrEqual(Object.keys(IMAGES).length * 2 * 3); // three attempts each
  });

  test('S3 503 SlowDown on every call → 503', () => scenario('503 SlowDown, always', { kind: 'http-503' }, { expect: 'unavailable' }));

  test('S3 500 on a third of the calls → retries absorb most, never a wrong image', () =>
    scenario('500 InternalError, 1 call in 3', { kind: 'http-500', probability: 1 / 3 }, { rounds: 4, expect: 'mixed' }));

  test('connections reset → 503', () => scenario('connection reset, always', { kind: 'reset' }, { expect: 'unavailable' }));

  test('bodies cut in half → 503, never a truncated image taken for a corrupt one (422)', () =>
    scenario('body cut in half, always', { kind: 'truncate' }, { expect: 'unavailable' }));

  test('answers slower than the storage timeout → 503 within the request timeout', () =>
    scenario('answers 2.5 s late (timeout 1 s)', { kind: 'slow', delayMs: 2_500 }, { rounds: 1, expect: 'unavailable' }), 30_000);

  test('answers that never come → 503 within the request timeout', () => scenario('no answer at all', { kind: 'hang' }, { rounds: 1, expect: 'unavailable' }), 30_000);

  test('answers slower than usual but within the timeout → served', () =>
    scenario('answers 300 ms late', { kind: 'slow', delayMs: 300 }, { rounds: 1, expect: 'served' }));

  test('revalidation (If-None-Match → HEAD) under S3 500 → 503, and 304 once healed', async () => {
    const first = await t.request('/a.jpg?width=30');
    const etag = first.headers.ETag!;
    proxy.setFault({ kind: 'http-500' });
    const during = await t.request('/a.jpg?width=30', { headers: { 'if-none-match': etag } });
    proxy.setFault(undefined);
    expect(during.status).toBe(503);
    expect(during.headers['Retry-After']).toBe('1');
    expect((await t.request('/a.jpg?width=30', { headers: { 'if-none-match': etag } })).status).toBe(304);
  });
});

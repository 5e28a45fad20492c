/**
 * With ORIGIN_SECRET set (as the stack sets it), the on-demand Lambda serves only requests that
 * carry CloudFront's origin header: anything that reaches API Gateway directly gets 403
 * `CloudFront::Required`, before any image work. The secret comes through the Secrets port
 * (on disk here, Secrets Manager in AWS), and the previous value stays valid during a rotation.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApiGatewayV2Event } from '../../api/lambda-adapter.js';
import { ORIGIN_HEADER, originGuard } from '../../api/origin-guard.js';
import { AccessError } from '../../core/errors.js';
import { FsStorage } from '../../core/adapters/local/fs-storage.js';
import { fixture, samplePhoto } from '../helpers/images.js';

const v2 = JSON.parse(fixture('events', 'apigw-http-v2-query.json').toString()) as ApiGatewayV2Event;
const SECRET = { current: 'c'.repeat(64), previous: 'p'.repeat(64) };
const event = (headers: Record<string, string>): ApiGatewayV2Event => ({
  ...v2,
  rawPath: '/astronaut.jpg',
  rawQueryString: 'width=64',
  queryStringParameters: { width: '64' },
  headers: { ...v2.headers, ...headers },
});

let dataDir: string;
const saved = { ...process.env };
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-origin-'));
  await mkdir(path.join(dataDir, 'secrets'), { recursive: true });
  await writeFile(path.join(dataDir, 'secrets', 'origin-secret.json'), JSON.stringify(SECRET));
  Object.assign(process.env, {
    SHUTTER_DATA_DIR: dataDir,
    SHUTTER_STORAGE: 'local',
    ANALYZER: 'attention',
    LOG_LEVEL: 'silent',
    EVENTS_ACCESS_SAMPLE_RATE: '0',
    ORIGIN_SECRET: 'origin-secret',
  });
  await new FsStorage(path.join(dataDir, 'buckets')).put('images', 'astronaut.jpg', samplePhoto('astronaut'));
});
afterAll(async () => {
  process.env = saved;
  await rm(dataDir, { recursive: true, force: true });
});

const call = async (headers: Record<string, string>) => {
  const { handler } = await import('../../api/lambda.js');
  return handler(event(headers));
};

test.each([
  ['no origin header (API Gateway called directly)', {}],
  ['a wrong value', { [ORIGIN_HEADER]: 'x'.repeat(64) }],
  ['a value of another length', { [ORIGIN_HEADER]: 'short' }],
  ['an empty value', { [ORIGIN_HEADER]: '' }],
])('%s: 403 CloudFront::Required, no image', async (_name, headers) => {
  const result = await call(headers);
  expect(result.statusCode).toBe(403);
  expect(JSON.parse(result.body)).toMatchObject({ status: 403, code: 'CloudFront::Required' });
});

test.each([
  ['the current value', SECRET.current],
  ['the previous value (a rotation in progress)', SECRET.previous],
])('%s: the image', async (_name, value) => {
  const result = await call({ [ORIGIN_HEADER]: value });
  expect(result.statusCode).toBe(200);
  expect(result.headers?.['Content-Type'] ?? result.headers?.['content-type']).toMatch(/^image\//);
});

test('without ORIGIN_SECRET (the local server) the guard lets everything through', async () => {
  const guard = originGuard(undefined, { getSecret: () => Promise.reject(new Error('not called')) });
  await expect(guard({ method: 'GET', path: '/a.jpg', query: {}, headers: {} } as never)).resolves.toBeUndefined();
});

test('a secret without "current" is a server fault, not a client one', async () => {
  const guard = originGuard('broken', { getSecret: () => Promise.resolve('{}') });
  const failure = await guard({ method: 'GET', path: '/a.jpg', query: {}, headers: { [ORIGIN_HEADER]: 'x' } } as never).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(Error);
  expect(failure).not.toBeInstanceOf(AccessError);
});

test("a DR standby accepts its own secret and the primary's replica, and a replica not yet created costs nothing", async () => {
  const store: Record<string, string> = { own: JSON.stringify({ current: 'own-value' }), 'Shutter-origin': JSON.stringify({ current: 'primary-value' }) };
  const secrets = { getSecret: (name: string) => (name in store ? Promise.resolve(store[name]!) : Promise.reject(new Error(`no secret ${name}`))) };
  const request = (value: string) => ({ method: 'GET', path: '/a.jpg', query: {}, headers: { [ORIGIN_HEADER]: value } }) as never;
  const guard = originGuard('own,Shutter-origin', secrets);
  await expect(guard(request('own-value'))).resolves.toBeUndefined();
  await expect(guard(request('primary-value'))).resolves.toBeUndefined();
  await expect(guard(request('forged'))).rejects.toMatchObject({ code: 'CloudFront::Required', status: 403 });
  const beforeReplica = originGuard('own,Missing-origin', secrets);
  await expect(beforeReplica(request('own-value'))).resolves.toBeUndefined();
  await expect(beforeReplica(request('primary-value'))).rejects.toMatchObject({ code: 'CloudFront::Required' });
});

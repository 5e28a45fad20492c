/**
 * The console's API Lambda (`console/server/lambda.ts`), invoked in-process with API Gateway REST
 * events as CloudFront → API Gateway delivers them: credentials read from Secrets Manager at
 * start, S3 on the real S3-compatible server, Step Functions and Athena mocked at the SDK
 * boundary with their real response shapes.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApiGatewayV1Event, LambdaResult } from '../../../api/lambda-adapter.js';
import { ORIGIN_HEADER } from '../../../api/origin-guard.js';
import { fixture, imageInfo, samplePhoto } from '../../helpers/images.js';

const TOKEN = 'console-token-from-secrets-manager-0123';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ShutterConsoleCredentials-AbCdEf';
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:ShutterImage';
const BACKFILL = 'arn:aws:states:eu-west-1:123456789012:stateMachine:ShutterBackfill';
const run = Date.now();
const buckets = {
  images: `console-images-${run}`,
  uploads: `console-uploads-${run}`,
  renditions: `console-renditions-${run}`,
  quarantine: `console-quarantine-${run}`,
};

const sfn = mockClient(SFNClient);
const athena = mockClient(AthenaClient);
const secretsManager = mockClient(SecretsManagerClient);

/** The sign-in request as API Gateway hands it over (body base64: the API takes every media type as binary). */
const signInEvent = JSON.parse(
  fixture('events', 'apigw-rest-v1-console-sign-in.json').toString(),
) as ApiGatewayV1Event & { headers: Record<string, string> };
/** The origin header the console's CloudFront adds (infra/operator-console.ts), from its secret. */
const ORIGIN_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:OriginSecret-GhIjKl';
const ORIGIN_VALUE = 'origin-secret-value-cloudfront-sends-0123456789abcdef0123456789abcdef';
signInEvent.headers[ORIGIN_HEADER] = ORIGIN_VALUE;
const VIEWER_ORIGIN = 'https://d111111abcdef8.cloudfront.net';

/** Another request of the same shape: same CloudFront/API Gateway headers, another method, path, body. */
function event(
  method: string,
  pathname: string,
  options: { headers?: Record<string, string>; query?: Record<string, string>; body?: Buffer } = {},
): ApiGatewayV1Event {
  const { Origin: _origin, 'Content-Type': _type, ...headers } = signInEvent.headers;
  return {
    ...signInEvent,
    httpMethod: method,
    path: pathname,
    headers: { ...headers, ...options.headers },
    queryStringParameters: options.query ?? null,
    body: options.body ? options.body.toString('base64') : null,
    isBase64Encoded: !!options.body,
  };
}

const saved = { ...process.env };
let dataDir: string;
let handler: (event: ApiGatewayV1Event) => Promise<LambdaResult>;
const bodyOf = (result: LambdaResult) =>
  JSON.parse(Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8').toString('utf8')) as Record<
    string,
    unknown
  >;

beforeAll(async () => {
  const endpoint = process.env.SHUTTER_TEST_S3_ENDPOINT!;
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  for (const bucket of Object.values(buckets)) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutObjectCommand({
      Bucket: buckets.uploads,
      Key: 'photos/cat.jpg',
      Body: samplePhoto('astronaut'),
      ContentType: 'image/jpeg',
    }),
  );
  s3.destroy();

  secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
    ARN: SECRET_ARN,
    Name: 'ShutterConsoleCredentials',
    VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
    SecretString: JSON.stringify({ token: TOKEN }),
    VersionStages: ['AWSCURRENT'],
    CreatedDate: new Date('2026-01-01T00:00:00Z'),
  });
  secretsManager.on(GetSecretValueCommand, { SecretId: ORIGIN_SECRET_ARN }).resolves({
    ARN: ORIGIN_SECRET_ARN,
    Name: 'OriginSecret',
    SecretString: JSON.stringify({ current: ORIGIN_VALUE }),
    VersionStages: ['AWSCURRENT'],
  });
  dataDir = await mkdtemp(path.join(tmpdir(), 'shutter-console-lambda-'));
  // What infra/console-api.ts sets; the module builds its app from it when first imported.
  Object.assign(process.env, {
    AWS_LAMBDA_FUNCTION_NAME: 'console-api',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    S3_ENDPOINT: endpoint,
    SHUTTER_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    EVENTS_ACCESS_SAMPLE_RATE: '0',
    SOURCE_BUCKETS: buckets.images,
    UPLOADS_BUCKET: buckets.uploads,
    RENDITIONS_BUCKET: buckets.renditions,
    QUARANTINE_BUCKET: buckets.quarantine,
    WORKFLOW_ENGINE: 'stepfunctions',
    IMAGE_STATE_MACHINE_ARN: MACHINE,
    BACKFILL_STATE_MACHINE_ARN: BACKFILL,
    QUERY_ENGINE: 'athena',
    ATHENA_WORKGROUP: 'Shutter-shutter',
    ATHENA_DATABASE: 'shutter_shutter',
    CONSOLE_SECRET: SECRET_ARN,
    ORIGIN_SECRET: ORIGIN_SECRET_ARN,
    CONSOLE_FORWARDED_HOST: 'Yes',
  });
  ({ handler } = await import('../../../console/server/lambda.js'));
}, 60_000);

afterAll(async () => {
  process.env = saved;
  sfn.restore();
  athena.restore();
  secretsManager.restore();
  await rm(dataDir, { recursive: true, force: true });
});

test('answers only what comes through its CloudFront: without the origin header, or with a wrong one, 403 before any work', async () => {
  const { [ORIGIN_HEADER]: _sent, ...direct } = signInEvent.headers;
  for (const headers of [direct, { ...direct, [ORIGIN_HEADER]: `${ORIGIN_VALUE}x` }]) {
    const refused = await handler({
      ...signInEvent,
      headers,
      body: Buffer.from(JSON.stringify({ token: TOKEN })).toString('base64'),
    });
    expect(refused.statusCode).toBe(403);
    expect(bodyOf(refused).code).toBe('CloudFront::Required');
    expect(refused.headers['Set-Cookie']).toBeUndefined();
  }
  const listing = await handler({
    ...event('GET', '/api/executions', { headers: { Authorization: `Bearer ${TOKEN}` } }),
    headers: { ...direct, Authorization: `Bearer ${TOKEN}` },
  });
  expect(listing.statusCode).toBe(403);
  expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(0);
});

test('refuses every API call without credentials, and a wrong token at sign-in', async () => {
  const anonymous = await handler(event('GET', '/api/executions'));
  expect(anonymous.statusCode).toBe(401);
  expect(bodyOf(anonymous).code).toBe('Console::Unauthorized');
  expect(anonymous.headers['WWW-Authenticate']).toBe('Bearer realm="shutter console"');
  const wrong = await handler({
    ...signInEvent,
    body: Buffer.from(JSON.stringify({ token: `${TOKEN}-guess` })).toString('base64'),
  });
  expect(wrong.statusCode).toBe(401);
  expect(wrong.headers['Set-Cookie']).toBeUndefined();
  expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(0);
});

test('signs in with the token from the secret (read once, at start), through CloudFront and API Gateway', async () => {
  const signIn = await handler({
    ...signInEvent,
    body: Buffer.from(JSON.stringify({ token: TOKEN })).toString('base64'),
  });
  expect(signIn.statusCode).toBe(200);
  // The browser's Origin matched the Host it sent (X-Forwarded-Host), not API Gateway's; the cookie is Secure.
  expect(signIn.headers['Set-Cookie']).toMatch(
    /^shutter_console=[^;]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/,
  );
  const { csrfToken } = bodyOf(signIn) as { csrfToken: string };
  const cookie = signIn.headers['Set-Cookie']!.split(';')[0]!;

  const session = await handler(event('GET', '/api/console/session', { headers: { Cookie: cookie } }));
  expect(session.statusCode).toBe(200);
  expect(bodyOf(session)).toMatchObject({ operator: 'token', csrfToken });
  expect(session.body).not.toContain(TOKEN);

  // A state-changing call with the session needs the page's CSRF token; from another site, nothing passes.
  const stop = (headers: Record<string, string>) =>
    handler(
      event('POST', '/api/executions/x/stop', {
        headers: { Cookie: cookie, Origin: VIEWER_ORIGIN, ...headers },
      }),
    );
  expect(bodyOf(await stop({})).code).toBe('Console::CsrfTokenInvalid');
  expect(
    bodyOf(
      await stop({
        'X-CSRF-Token': csrfToken,
        Origin: 'https://evil.example',
        'Sec-Fetch-Site': 'cross-site',
      }),
    ).code,
  ).toBe('Console::CrossSiteRequest');

  // The credentials were read once, at start (the origin secret is read, and cached, by the guard).
  expect(
    secretsManager
      .commandCalls(GetSecretValueCommand)
      .filter((call) => call.args[0].input.SecretId === SECRET_ARN),
  ).toHaveLength(1);
});

test('lists executions from Step Functions (ListExecutions) for a signed-in operator', async () => {
  sfn.on(ListExecutionsCommand).resolves({
    executions: [
      {
        executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:photos-cat-jpg-1a2b3c`,
        stateMachineArn: MACHINE,
        name: 'photos-cat-jpg-1a2b3c',
        status: 'SUCCEEDED',
        startDate: new Date('2026-11-27T19:59:00Z'),
        stopDate: new Date('2026-11-27T19:59:04Z'),
        redriveCount: 0,
      },
      {
        executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:photos-dog-jpg-4d5e6f`,
        stateMachineArn: MACHINE,
        name: 'photos-dog-jpg-4d5e6f',
        status: 'RUNNING',
        startDate: new Date('2026-11-27T20:00:00Z'),
      },
    ],
    nextToken: 'AAAAKgAAAAIAAAAAAAAAAQ==',
  });
  const listed = await handler(
    event('GET', '/api/executions', { headers: { Authorization: `Bearer ${TOKEN}` }, query: { limit: '2' } }),
  );
  expect(listed.statusCode).toBe(200);
  expect(listed.headers['Cache-Control']).toBe('no-store');
  const body = bodyOf(listed) as { executions: Array<Record<string, unknown>>; cursor?: string };
  expect(body.executions).toEqual([
    expect.objectContaining({
      name: 'photos-cat-jpg-1a2b3c',
      status: 'SUCCEEDED',
      workflow: 'image',
      startDate: '2026-11-27T19:59:00.000Z',
    }),
    expect.objectContaining({ name: 'photos-dog-jpg-4d5e6f', status: 'RUNNING', workflow: 'image' }),
  ]);
  expect(body.cursor).toBe('AAAAKgAAAAIAAAAAAAAAAQ==');
  expect(sfn.commandCalls(ListExecutionsCommand)[0]!.args[0].input).toEqual({
    stateMachineArn: MACHINE,
    maxResults: 2,
  });
});

test('reads the buckets from S3 and uploads start the image state machine', async () => {
  const bearer = { Authorization: `Bearer ${TOKEN}` };
  const objects = await handler(
    event('GET', `/api/buckets/${buckets.uploads}/objects`, {
      headers: bearer,
      query: { prefix: 'photos/' },
    }),
  );
  expect(objects.statusCode).toBe(200);
  expect(JSON.stringify(bodyOf(objects))).toContain('photos/cat.jpg');

  sfn.on(StartExecutionCommand).resolves({
    executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:upload`,
    startDate: new Date('2026-11-27T20:01:00Z'),
  });
  const upload = await handler(
    event('PUT', '/api/uploads/photos/new.jpg', {
      headers: { ...bearer, 'Content-Type': 'image/jpeg' },
      body: samplePhoto('astronaut'),
    }),
  );
  expect(upload.statusCode).toBe(202);
  const started = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
  expect(started.stateMachineArn).toBe(MACHINE);
  expect(JSON.parse(started.input!)).toMatchObject({
    source: { bucket: buckets.uploads, key: 'photos/new.jpg' },
  });
  const s3 = new S3Client({
    endpoint: process.env.S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await expect(
    s3.send(new HeadObjectCommand({ Bucket: buckets.uploads, Key: 'photos/new.jpg' })),
  ).resolves.toMatchObject({ ContentType: 'image/jpeg' });
  s3.destroy();
});

test('runs the dashboard queries on Athena, in the configured workgroup', async () => {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-console-1' });
  athena
    .on(GetQueryExecutionCommand)
    .resolves({ QueryExecution: { QueryExecutionId: 'q-console-1', Status: { State: 'SUCCEEDED' } } });
  const cell = (value: string) => ({ VarCharValue: value });
  athena.on(GetQueryResultsCommand).resolves({
    ResultSet: {
      ResultSetMetadata: {
        ColumnInfo: [
          { Name: 'day', Type: 'varchar' },
          { Name: 'uploads', Type: 'bigint' },
        ],
      },
      Rows: [{ Data: [cell('day'), cell('uploads')] }, { Data: [cell('2026-11-27'), cell('42')] }],
    },
    UpdateCount: 0,
  });
  const result = await handler(
    event('GET', '/api/analytics/uploads_per_day', { headers: { Authorization: `Bearer ${TOKEN}` } }),
  );
  expect(result.statusCode).toBe(200);
  expect(bodyOf(result)).toMatchObject({ engine: 'athena', rows: [{ day: '2026-11-27', uploads: 42 }] });
  expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).toMatchObject({
    WorkGroup: 'Shutter-shutter',
    QueryExecutionContext: { Database: 'shutter_shutter' },
  });
});

test('answers only the console: an image URL is not looked up, while bucket previews still render', async () => {
  const s3 = new S3Client({
    endpoint: process.env.S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await s3.send(
    new PutObjectCommand({
      Bucket: buckets.images,
      Key: 'cat.jpg',
      Body: samplePhoto('astronaut'),
      ContentType: 'image/jpeg',
    }),
  );
  s3.destroy();
  // The image API's URL for that source: this function holds no image handler to answer it.
  const image = await handler(event('GET', '/cat.jpg', { query: { w: '100' } }));
  expect(image.statusCode).toBe(404);
  expect(bodyOf(image)).toMatchObject({ code: 'Api::NoSuchRoute' });
  // The preview's pipeline loads on its first use.
  const preview = await handler(
    event('GET', `/api/buckets/${buckets.images}/previews/cat.jpg`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
      query: { width: '64' },
    }),
  );
  expect(preview.statusCode).toBe(200);
  expect(preview.headers['Content-Type']).toBe('image/webp');
  const { width, format } = await imageInfo(
    Buffer.from(preview.body, preview.isBase64Encoded ? 'base64' : 'utf8'),
  );
  expect({ width, format }).toEqual({ width: 64, format: 'webp' });
});

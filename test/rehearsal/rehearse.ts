/**
 * `npm run rehearse`: the deployed artifacts, run as AWS would run them, on this machine.
 *
 * 1. `cdk synth` of the real app with a concrete account and region, as `cdk deploy` does; then
 *    everything comes from `cdk.out`: the template, each function's asset, handler, runtime,
 *    memory, timeout and environment, the CloudFront Function's code.
 * 2. Each function runs under the Runtime Interface Emulator with aws-lambda-ric
 *    (`lambda-emulator.ts`: read-only task root, only /tmp writable, timeout and memory enforced),
 *    its environment resolved from the template with each Ref/GetAtt bound to a local service.
 *    The bundles carry sharp's linux-arm64 build (Lambda runs arm64); this machine is x86_64, so
 *    each function runs an x86_64 variant of the same bundle: the same index.mjs, with sharp's
 *    linux-x64 packages in place of the arm64 ones.
 * 3. Services: moto_server (S3, Secrets Manager, STS) and a real Kafka broker (plaintext here;
 *    MSK's IAM auth is covered by the token provider's unit test), started by this script.
 *
 * Prints one line per scenario and `rehearsal: N/M scenarios passed`; exits non-zero on any failure.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { runInNewContext } from 'node:vm';
import { Kafka, logLevel } from 'kafkajs';
import sharp from 'sharp';
import { TABLES } from '../../analytics/tables.js';
import { runNamedQuery } from '../../analytics/named-queries.js';
import { DuckDbQueryEngine } from '../../core/adapters/local/duckdb-query-engine.js';
import { startKafka, startMoto } from '../services/services.mjs';
import { deployedFunction, readCloudAssembly, resolve, type CloudAssembly, type DeployedFunction } from './cloud-assembly.js';
import { EmulatedFunction } from './lambda-emulator.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const credentials = { accessKeyId: 'rehearsal', secretAccessKey: 'rehearsal' };
const BROWSER_ACCEPT = 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8';

interface Scenario {
  name: string;
  run: () => Promise<string>;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/**
 * Synthesizes the app as `cdk synth` does for a concrete environment: the CLI's own steps (the
 * app from cdk.json, with cdk.json's context and the output folder in CDK_OUTDIR), plus the one
 * context value the CLI would look up with credentials (the region's Availability Zones, which
 * a deploy caches in cdk.context.json). Any error annotation (cdk-nag included) fails it.
 */
async function synthesize(outdir: string): Promise<{ assembly: CloudAssembly; seconds: number }> {
  const started = performance.now();
  const cdkJson = JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { app: string; context?: Record<string, unknown> };
  const context = {
    ...cdkJson.context,
    // What the CLI adds: construct paths and asset folders in the template's metadata.
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:enable-asset-metadata': true,
    [`availability-zones:account=${ACCOUNT}:region=${REGION}`]: [`${REGION}a`, `${REGION}b`, `${REGION}c`],
  };
  const [command, ...args] = cdkJson.app.split(' ');
  await run(command === 'node' ? process.execPath : command!, args, {
    cwd: root,
    env: {
      ...process.env,
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify(context),
      CDK_DEFAULT_ACCOUNT: ACCOUNT,
      CDK_DEFAULT_REGION: REGION,
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile?: string } }>;
  };
  const [stackName, stack] = Object.entries(manifest.artifacts).find(([, artifact]) => artifact.type === 'aws:cloudformation:stack')!;
  assert(stack.environment === `aws://${ACCOUNT}/${REGION}`, `synthesized for ${stack.environment}, not a concrete environment`);
  const metadata = JSON.parse(readFileSync(path.join(outdir, `${stackName}.metadata.json`), 'utf8')) as Record<string, Array<{ type: string; data: unknown }>>;
  const errors = Object.entries(metadata).flatMap(([where, entries]) => entries.filter((entry) => entry.type === 'aws:cdk:error').map((entry) => `${where}: ${String(entry.data)}`));
  assert(errors.length === 0, `synthesis reported errors:\n${errors.join('\n')}`);
  return { assembly: readCloudAssembly(outdir, stack.properties?.templateFile?.replace(/\.template\.json$/, '') ?? stackName), seconds: (performance.now() - started) / 1000 };
}

/**
 * The x86_64 variant of a bundle: a copy whose sharp packages are this machine's (linux-x64)
 * instead of the linux-arm64 ones Lambda loads. index.mjs is byte for byte the deployed one.
 */
function x64Variant(fn: DeployedFunction, into: string): string {
  const dir = path.join(into, `${fn.name}-x86_64`);
  if (existsSync(dir)) return dir;
  cpSync(fn.assetDir, dir, { recursive: true });
  const img = path.join(dir, 'node_modules/@img');
  if (existsSync(img)) {
    for (const name of readdirSync(img)) if (/linux-arm64/.test(name)) rmSync(path.join(img, name), { recursive: true });
    for (const name of readdirSync(path.join(root, 'node_modules/@img'))) {
      if (/^sharp-(libvips-)?linux-x64$/.test(name)) cpSync(path.join(root, 'node_modules/@img', name), path.join(img, name), { recursive: true });
    }
  }
  return dir;
}

/** A bucket name moto accepts for each bucket of the template. */
const localBucketName = (logicalId: string) => `rehearsal-${logicalId.toLowerCase()}`.slice(0, 63).replace(/-+$/, '');

async function main(): Promise<number> {
  // Not under /tmp: each function gets its own /tmp, which would hide its task root.
  mkdirSync(path.join(root, 'test-artifacts'), { recursive: true });
  const work = mkdtempSync(path.join(root, 'test-artifacts', 'rehearsal-'));
  const started = performance.now();
  const [moto, kafka] = await Promise.all([startMoto(), startKafka()]);
  const emulated: EmulatedFunction[] = [];
  const lines: string[] = [];
  let passed = 0;
  let total = 0;
  try {
    const { assembly, seconds } = await synthesize(path.join(work, 'cdk.out'));
    console.log(`rehearsal: synthesized ${path.basename(assembly.dir)} for aws://${ACCOUNT}/${REGION} in ${seconds.toFixed(0)} s: ${assembly.functions.length} functions, ${Object.keys(assembly.stateMachines).length} state machines`);
    console.log('rehearsal: functions run as x86_64 variants of their arm64 bundles (same index.mjs, sharp for linux-x64), under aws-lambda-rie with aws-lambda-ric');

    const s3 = new S3Client({ region: REGION, endpoint: moto.endpoint, forcePathStyle: true, credentials });
    // Every Ref and GetAtt a function's environment may name, bound to a local stand-in.
    const bindings: Record<string, string> = {};
    for (const [id, resource] of Object.entries(assembly.template.Resources)) {
      if (resource.Type === 'AWS::S3::Bucket') {
        bindings[id] = localBucketName(id);
        bindings[`${id}.Arn`] = `arn:aws:s3:::${localBucketName(id)}`;
        await s3.send(new CreateBucketCommand({ Bucket: bindings[id] }));
      } else if (resource.Type === 'AWS::StepFunctions::StateMachine') {
        bindings[id] = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`;
      } else if (resource.Type === 'Custom::AWS') {
        // The MSK bootstrap brokers: the local broker, plaintext (see the module comment).
        bindings[`${id}.BootstrapBrokerStringSaslIam`] = kafka.brokers;
      } else {
        bindings[id] = id;
        bindings[`${id}.Arn`] = `arn:aws:${resource.Type.split('::')[1]!.toLowerCase()}:${REGION}:${ACCOUNT}:${id}`;
      }
    }
    const pseudo = { 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': 'Shutter' };
    /** Where the deployed environment points at AWS, the local services (nothing else is changed). */
    const localServices: Record<string, string> = {
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      S3_ENDPOINT: moto.endpoint,
      AWS_ENDPOINT_URL: moto.endpoint,
    };
    const start = async (suffix: string, overrides: Record<string, string> = {}) => {
      const fn = deployedFunction(assembly, suffix);
      assert(fn.runtime.startsWith('nodejs'), `${fn.name}: runtime ${fn.runtime}`);
      const environment = Object.fromEntries(Object.entries(fn.environment).map(([name, value]) => [name, resolve(value, bindings, pseudo)]));
      const emulator = new EmulatedFunction(fn, x64Variant(fn, path.join(work, 'x86_64')), { ...environment, ...localServices, ...overrides });
      emulated.push(emulator);
      await emulator.start();
      return { emulator, fn, environment };
    };

    const imageHandler = await start('Delivery/ImageHandler/Function');
    const sourceBucket = imageHandler.environment.SOURCE_BUCKETS!.split(',')[0]!;
    const photo = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#3a7' } }).jpeg().toBuffer();
    await s3.send(new PutObjectCommand({ Bucket: sourceBucket, Key: 'rehearsal/photo.jpg', Body: photo, ContentType: 'image/jpeg' }));
    const apiEvent = (urlPath: string, headers: Record<string, string> = {}) => ({
      ...(JSON.parse(readFileSync(path.join(root, 'test/fixtures/events/apigw-rest-v1-thumbor.json'), 'utf8')) as object),
      path: urlPath,
      pathParameters: { proxy: urlPath.slice(1) },
      headers: { Accept: 'image/*', 'User-Agent': 'Amazon CloudFront', ...headers },
      multiValueHeaders: {},
    });
    const answer = async (urlPath: string) => {
      const { payload, functionError } = await imageHandler.emulator.invoke(apiEvent(urlPath));
      assert(!functionError, `${urlPath}: the function failed: ${JSON.stringify(payload)}`);
      return payload as { statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: boolean };
    };
    const imageOf = async (response: Awaited<ReturnType<typeof answer>>) => sharp(Buffer.from(response.body, response.isBase64Encoded ? 'base64' : 'utf8')).metadata();

    const scenarios: Scenario[] = [
      {
        name: 'CloudFront Function (viewer request) normalizes Accept',
        run: async () => {
          const [fn] = assembly.cloudFrontFunctions;
          assert(fn && fn.runtime === 'cloudfront-js-2.0', 'no cloudfront-js-2.0 function in the template');
          const viewerRequest = (querystring: Record<string, { value: string }>) => ({
            version: '1.0',
            context: { eventType: 'viewer-request', distributionId: 'E2REHEARSAL', requestId: 'rehearsal' },
            viewer: { ip: '203.0.113.7' },
            request: { method: 'GET', uri: '/fit-in/200x200/rehearsal/photo.jpg', querystring, headers: { accept: { value: BROWSER_ACCEPT } }, cookies: {} },
          });
          const sandbox: { handler?: (event: unknown) => { headers: Record<string, { value: string } | undefined> } } = {};
          runInNewContext(`${fn.code}\n;this.handler = handler;`, sandbox);
          // ?format=auto: Accept decides the format, so only what negotiation reads is kept (the cache key).
          const auto = sandbox.handler!(viewerRequest({ format: { value: 'auto' } }));
          assert(auto.headers.accept?.value === 'image/avif,image/webp', `format=auto: Accept became ${JSON.stringify(auto.headers.accept)}`);
          // Without AutoWebP/AutoAvif (the defaults) and no format=auto, Accept cannot matter: dropped.
          const plain = sandbox.handler!(viewerRequest({}));
          assert(plain.headers.accept === undefined, `no negotiation: Accept kept as ${JSON.stringify(plain.headers.accept)}`);
          return `Accept "${BROWSER_ACCEPT}" → "${auto.headers.accept.value}" with ?format=auto, dropped without`;
        },
      },
      {
        name: 'image handler: Thumbor URL',
        run: async () => {
          const response = await answer('/fit-in/200x200/filters:grayscale()/rehearsal/photo.jpg');
          assert(response.statusCode === 200, `status ${response.statusCode}: ${response.body.slice(0, 200)}`);
          const meta = await imageOf(response);
          assert(meta.width === 200 && meta.height === 133, `${meta.width}x${meta.height}`);
          return `200, ${meta.format} ${meta.width}x${meta.height}`;
        },
      },
      {
        name: 'image handler: Default (base64 JSON) URL',
        run: async () => {
          const request = Buffer.from(JSON.stringify({ bucket: sourceBucket, key: 'rehearsal/photo.jpg', edits: { resize: { width: 300 }, toFormat: 'png' } })).toString('base64');
          const response = await answer(`/${request}`);
          assert(response.statusCode === 200, `status ${response.statusCode}: ${response.body.slice(0, 200)}`);
          const meta = await imageOf(response);
          assert(meta.format === 'png' && meta.width === 300 && meta.height === 200, `${meta.format} ${meta.width}x${meta.height}`);
          return `200, png 300x200`;
        },
      },
      {
        name: 'image handler: missing image is a 404',
        run: async () => {
          const response = await answer('/fit-in/100x100/rehearsal/missing.jpg');
          assert(response.statusCode === 404, `status ${response.statusCode}`);
          const body = JSON.parse(response.body) as { code?: string };
          return `404 ${body.code ?? ''}`.trim();
        },
      },
      {
        name: 'image handler: no write under the read-only task root',
        run: async () => {
          // Access events are written to the lake by the handler itself (LAKE_BUCKET): a handler
          // that wrote under /var/task would have failed or left them out.
          const lake = imageHandler.environment.LAKE_BUCKET!;
          const deadline = Date.now() + 30_000;
          for (;;) {
            const listed = await s3.send(new ListObjectsV2Command({ Bucket: lake, Prefix: imageHandler.environment.LAKE_PREFIX }));
            const objects = listed.Contents ?? [];
            if (objects.length) return `${objects.length} access-event objects in s3://${lake}/${imageHandler.environment.LAKE_PREFIX}`;
            assert(Date.now() < deadline, `no access events in s3://${lake}/${imageHandler.environment.LAKE_PREFIX}\n${imageHandler.emulator.logs().slice(-2000)}`);
            // The record is written after the answer: the next invocation thaws it, as in Lambda.
            await answer('/fit-in/50x50/rehearsal/photo.jpg');
          }
        },
      },
      {
        name: 'events: handle-failure → Kafka → events archiver → lake → named query',
        run: async () => {
          const failure = await start('Workflows/HandleFailureTask/Function', { KAFKA_SASL: 'none', KAFKA_TLS: 'No' });
          const topic = failure.environment.KAFKA_TOPIC!;
          const input = {
            executionId: `arn:aws:states:${REGION}:${ACCOUNT}:execution:process:rehearsal-${Date.now()}`,
            imageId: `${sourceBucket}/rehearsal/broken.jpg`,
            source: { bucket: sourceBucket, key: 'rehearsal/broken.jpg' },
            error: { Error: 'ImageError', Cause: '[ImageSource::CorruptImage|inspect] The source image is corrupt.' },
          };
          const result = await failure.emulator.invoke(input);
          assert(!result.functionError, `handle-failure failed: ${JSON.stringify(result.payload)}\n${failure.emulator.logs().slice(-2000)}`);

          // Lambda's MSK event source: the topic's records, batched by topic-partition, base64.
          const client = new Kafka({ clientId: 'rehearsal', brokers: kafka.brokers.split(','), logLevel: logLevel.NOTHING });
          const consumer = client.consumer({ groupId: `rehearsal-${Date.now()}` });
          const records: Record<string, unknown[]> = {};
          await consumer.connect();
          await consumer.subscribe({ topic, fromBeginning: true });
          let count = 0;
          await consumer.run({
            eachMessage: async ({ partition, message }) => {
              const group = `${topic}-${partition}`;
              (records[group] ??= []).push({
                topic,
                partition,
                offset: Number(message.offset),
                timestamp: Number(message.timestamp),
                timestampType: 'CREATE_TIME',
                key: message.key?.toString('base64'),
                value: message.value?.toString('base64'),
                headers: [],
              });
              count++;
            },
          });
          const deadline = Date.now() + 60_000;
          while (count < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
          await consumer.disconnect();
          assert(count >= 1, `no event on topic ${topic}`);

          const archiver = await start('Streaming/Archiver/Function');
          const mskEvent = { eventSource: 'aws:kafka', eventSourceArn: bindings['Cluster.Arn'] ?? `arn:aws:kafka:${REGION}:${ACCOUNT}:cluster/shutter/rehearsal`, bootstrapServers: kafka.brokers, records };
          const archived = await archiver.emulator.invoke(mskEvent);
          assert(!archived.functionError, `archiver failed: ${JSON.stringify(archived.payload)}\n${archiver.emulator.logs().slice(-2000)}`);
          // The same batch delivered again (a retried poll) must not add a copy.
          await archiver.emulator.invoke(mskEvent);

          const lake = archiver.environment.LAKE_BUCKET!;
          const prefix = archiver.environment.LAKE_PREFIX!;
          const local = path.join(work, 'lake');
          rmSync(local, { recursive: true, force: true });
          const listed = await s3.send(new ListObjectsV2Command({ Bucket: lake, Prefix: prefix }));
          for (const { Key } of listed.Contents ?? []) {
            const body = await (await s3.send(new GetObjectCommand({ Bucket: lake, Key: Key! }))).Body!.transformToByteArray();
            mkdirSync(path.dirname(path.join(local, Key!)), { recursive: true });
            writeFileSync(path.join(local, Key!), body);
          }
          // Athena stands in as DuckDB over the same lake objects and the same named SQL.
          const engine = new DuckDbQueryEngine({ root: local, tables: TABLES });
          const errors = await runNamedQuery(engine, 'errors_by_code', path.join(root, 'analytics/queries'));
          const row = errors.rows.find((candidate) => candidate.origin === 'workflow' && candidate.code === 'ImageSource::CorruptImage');
          assert(row && Number(row.errors) === 1, `errors_by_code: ${JSON.stringify(errors.rows)}`);
          return `${count} event(s) on ${topic}, ${(listed.Contents ?? []).length} lake objects, errors_by_code → ${JSON.stringify(row)} [Athena stand-in: DuckDB]`;
        },
      },
    ];

    for (const scenario of scenarios) {
      total++;
      const began = performance.now();
      try {
        const detail = await scenario.run();
        passed++;
        lines.push(`ok   ${scenario.name} (${((performance.now() - began) / 1000).toFixed(1)} s): ${detail}`);
      } catch (error) {
        lines.push(`FAIL ${scenario.name}: ${(error as Error).message}`);
      }
      console.log(lines.at(-1));
    }
  } catch (error) {
    total++;
    console.log(`FAIL setup: ${(error as Error).stack ?? String(error)}`);
  } finally {
    for (const emulator of emulated) emulator.stop();
    await kafka.destroy();
    moto.stop();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`rehearsal: took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  console.log(`rehearsal: ${passed}/${total} scenarios passed`);
  return passed === total && total > 0 ? 0 : 1;
}

process.exit(await main());

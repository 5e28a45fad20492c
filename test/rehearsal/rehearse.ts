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
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { runInNewContext } from 'node:vm';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import sharp from 'sharp';
import { TABLES } from '../../analytics/tables.js';
import { manifestKey } from '../../core/renditions.js';
import { sign } from '../../api/signature.js';
import { ORIGIN_HEADER } from '../../api/origin-guard.js';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { runNamedQuery } from '../../analytics/named-queries.js';
import { DuckDbQueryEngine } from '../../core/adapters/local/duckdb-query-engine.js';
import { AslWorkflowEngine, type LocalFunction } from '../../workflows/engine/asl-workflow-engine.js';
import { startKafka, startMoto } from '../services/services.mjs';
import { deployedFunction, readCloudAssembly, resolve, type CloudAssembly, type DeployedFunction } from './cloud-assembly.js';
import { EmulatedFunction } from './lambda-emulator.js';
import { startRekognitionStandIn } from './rekognition-stand-in.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const credentials = { accessKeyId: 'rehearsal', secretAccessKey: 'rehearsal' };
const SIGNING_SECRET = 'shutter/rehearsal-signing';
const SIGNING_KEY = 'rehearsal-signing-key';
const ORIGIN_VALUE = 'rehearsal-origin-secret-value';
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
    // SIH's signed URLs, with the signing key in an existing secret (created in moto below).
    EnableSignature: 'Yes',
    SecretsManagerSecret: SIGNING_SECRET,
    SecretsManagerKey: 'signatureKey',
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
  const [moto, kafka, rekognition] = await Promise.all([startMoto(), startKafka(), startRekognitionStandIn()]);
  const emulated: EmulatedFunction[] = [];
  let consumer: Consumer | undefined;
  let engine: AslWorkflowEngine | undefined;
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
      } else if (resource.Type === 'AWS::Lambda::Function') {
        // The Task states invoke functions by ARN: the name is the logical id, bound below to its emulator.
        bindings[id] = id;
        bindings[`${id}.Arn`] = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
      } else if (resource.Type === 'AWS::Lambda::Alias' || resource.Type === 'AWS::Lambda::Version') {
        // A published version or the `live` alias (safe rollout): invoked by its qualified ARN, which
        // names the function the emulator runs (the qualifier is dropped by the engine).
        const target = (resource.Properties as { FunctionName?: { Ref?: string } } | undefined)?.FunctionName?.Ref;
        const qualifier = resource.Type === 'AWS::Lambda::Alias' ? String((resource.Properties as { Name?: unknown }).Name ?? 'live') : '1';
        bindings[id] = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${target ?? id}:${qualifier}`;
        bindings[`${id}.Arn`] = bindings[id];
      } else if (resource.Type === 'AWS::CloudFront::Distribution') {
        bindings[id] = id;
        bindings[`${id}.DomainName`] = `${id.toLowerCase()}.cloudfront.net`;
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
      AWS_ENDPOINT_URL_REKOGNITION: rekognition.endpoint,
      // The local broker speaks plaintext without SASL (MSK: IAM over TLS, covered by unit tests).
      KAFKA_SASL: 'none',
      KAFKA_TLS: 'No',
    };
    type Started = { emulator: EmulatedFunction; fn: DeployedFunction; environment: Record<string, string> };
    const byLogicalId = new Map<string, Promise<Started>>();
    /** The function's emulator, started on first use (a cold start), then kept warm. */
    const startFn = (fn: DeployedFunction): Promise<Started> => {
      let started = byLogicalId.get(fn.logicalId);
      if (!started) {
        started = (async () => {
          assert(fn.runtime.startsWith('nodejs'), `${fn.name}: runtime ${fn.runtime}`);
          const environment = Object.fromEntries(Object.entries(fn.environment).map(([name, value]) => [name, resolve(value, bindings, pseudo)]));
          const emulator = new EmulatedFunction(fn, x64Variant(fn, path.join(work, 'x86_64')), { ...environment, ...localServices });
          emulated.push(emulator);
          await emulator.start();
          return { emulator, fn, environment };
        })();
        byLogicalId.set(fn.logicalId, started);
      }
      return started;
    };
    const start = (suffix: string) => startFn(deployedFunction(assembly, suffix));
    const resolved = (suffix: string, name: string) => resolve(deployedFunction(assembly, suffix).environment[name], bindings, pseudo);

    // Events on the topic, kept as Lambda's MSK event source hands them over (by topic-partition, base64).
    const topic = resolved('Streaming/Archiver/Function', 'KAFKA_TOPIC');
    const kafkaClient = new Kafka({ clientId: 'rehearsal', brokers: kafka.brokers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafkaClient.admin();
    await admin.connect();
    // Standing in for the stack's topic (MSK Serverless does not create topics on first use).
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const received: Array<{ partition: number; record: Record<string, unknown>; event: { id: string; type: string; subject: string } }> = [];
    consumer = kafkaClient.consumer({ groupId: 'rehearsal-observer' });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push({
          partition,
          event: JSON.parse(message.value!.toString()) as { id: string; type: string; subject: string },
          record: {
            topic,
            partition,
            offset: Number(message.offset),
            timestamp: Number(message.timestamp),
            timestampType: 'CREATE_TIME',
            key: message.key?.toString('base64'),
            value: message.value?.toString('base64'),
            headers: [],
          },
        });
      },
    });
    const eventsOn = async (subject: string, type: string) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const found = received.filter((entry) => entry.event.subject === subject);
        if (found.some((entry) => entry.event.type === type)) return found.map((entry) => entry.event.type);
        assert(Date.now() < deadline, `no ${type} event for ${subject} on ${topic} (saw ${found.map((entry) => entry.event.type).join(', ') || 'none'}; ${received.length} on the topic in all)`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    let archivedUpTo = 0;
    /** Hands the events not yet archived to the archiver, twice (a re-polled batch must add no copy). */
    const archive = async () => {
      const archiver = await start('Streaming/Archiver/Function');
      const batch = received.slice(archivedUpTo);
      archivedUpTo = received.length;
      const records: Record<string, unknown[]> = {};
      for (const entry of batch) (records[`${topic}-${entry.partition}`] ??= []).push(entry.record);
      const mskEvent = { eventSource: 'aws:kafka', eventSourceArn: `arn:aws:kafka:${REGION}:${ACCOUNT}:cluster/shutter/rehearsal`, bootstrapServers: kafka.brokers, records };
      for (const attempt of [1, 2]) {
        const result = await archiver.emulator.invoke(mskEvent);
        assert(!result.functionError, `archiver (delivery ${attempt}) failed: ${JSON.stringify(result.payload)}\n${archiver.emulator.logs().slice(-2000)}`);
      }
      return batch.length;
    };
    /** A named query over the lake; Athena stands in as DuckDB over the same objects and SQL. */
    const query = async (name: string) => {
      const lake = resolved('Streaming/Archiver/Function', 'LAKE_BUCKET');
      const prefix = deployedFunction(assembly, 'Streaming/Archiver/Function').environment.LAKE_PREFIX ? resolved('Streaming/Archiver/Function', 'LAKE_PREFIX') : 'events/';
      const local = path.join(work, 'lake');
      rmSync(local, { recursive: true, force: true });
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: lake, Prefix: prefix }));
      for (const { Key } of listed.Contents ?? []) {
        const body = await (await s3.send(new GetObjectCommand({ Bucket: lake, Key: Key! }))).Body!.transformToByteArray();
        mkdirSync(path.dirname(path.join(local, Key!)), { recursive: true });
        writeFileSync(path.join(local, Key!), body);
      }
      const duckdb = new DuckDbQueryEngine({ root: local, tables: TABLES });
      return { objects: (listed.Contents ?? []).length, ...(await runNamedQuery(duckdb, name, path.join(root, 'analytics/queries'))) };
    };

    // The deployed image state machine, run by the local ASL engine with each Task's function ARN
    // bound to that function's emulator; moto's Step Functions records the trigger's StartExecution.
    const triggerFn = deployedFunction(assembly, 'Workflows/StartImageWorkflowTask/Function');
    const machineId = (triggerFn.environment.IMAGE_STATE_MACHINE_ARN as { Ref: string }).Ref;
    const definition = JSON.parse(resolve(assembly.stateMachines[machineId], bindings, pseudo)) as object;
    const sfn = new SFNClient({ region: REGION, endpoint: moto.endpoint, credentials });
    await sfn.send(new CreateStateMachineCommand({ name: machineId, definition: JSON.stringify(definition), roleArn: `arn:aws:iam::${ACCOUNT}:role/rehearsal` }));
    const functions: Record<string, LocalFunction> = {};
    for (const fn of assembly.functions) {
      functions[fn.logicalId] = async (payload) => {
        const { emulator } = await startFn(fn);
        const result = await emulator.invoke(payload);
        if (result.functionError) {
          const { errorType, errorMessage } = result.payload as { errorType?: string; errorMessage?: string };
          throw Object.assign(new Error(errorMessage ?? 'Unhandled'), { name: errorType ?? 'Error' });
        }
        return result.payload;
      };
    }
    engine = new AslWorkflowEngine({ store: path.join(work, 'executions.sqlite'), workflows: { image: { definition, functions } } });
    const uploads = resolved('Workflows/StartImageWorkflowTask/Function', 'UPLOADS_BUCKET');
    const upload = async (key: string, body: Buffer) => {
      await s3.send(new PutObjectCommand({ Bucket: uploads, Key: key, Body: body, ContentType: 'image/jpeg' }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: uploads, Key: key }));
      const fixture = JSON.parse(readFileSync(path.join(root, 'test/fixtures/events/eventbridge-s3-object-created.json'), 'utf8')) as { detail: Record<string, unknown> };
      const event = {
        ...fixture,
        account: ACCOUNT,
        region: REGION,
        resources: [`arn:aws:s3:::${uploads}`],
        detail: { ...fixture.detail, bucket: { name: uploads }, object: { key, size: body.length, etag: head.ETag!.replace(/"/g, ''), sequencer: '0' } },
      };
      const trigger = await startFn(triggerFn);
      const started = await trigger.emulator.invoke(event);
      assert(!started.functionError, `start-image-workflow failed: ${JSON.stringify(started.payload)}\n${trigger.emulator.logs().slice(-2000)}`);
      const { executionArn } = started.payload as { executionArn: string };
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      const run = await engine!.start('image', { name: execution.name!, input: JSON.parse(execution.input!) });
      const settled = await engine!.settled(run.executionArn);
      // Events are keyed by the workflow's image id (the execution input's), not by bucket/key.
      const imageId = (settled.input as { imageId?: string }).imageId;
      assert(imageId, `no imageId in the execution input: ${JSON.stringify(settled.input).slice(0, 300)}`);
      return { execution: settled, imageId };
    };

    const secrets = new SecretsManagerClient({ region: REGION, endpoint: moto.endpoint, credentials });
    await secrets.send(new CreateSecretCommand({ Name: SIGNING_SECRET, SecretString: JSON.stringify({ signatureKey: SIGNING_KEY }) }));
    const imageHandler = await start('Delivery/ImageHandler/Function');
    // The origin secret CloudFront sends in ORIGIN_HEADER (rotated through Secrets Manager): created in moto.
    const originSecretId = imageHandler.environment.ORIGIN_SECRET;
    if (originSecretId) {
      await secrets.send(new CreateSecretCommand({ Name: originSecretId, SecretString: JSON.stringify({ current: ORIGIN_VALUE, previous: '' }) }));
    }
    assert(imageHandler.environment.ENABLE_SIGNATURE === 'Yes' && imageHandler.environment.SECRETS_MANAGER === SIGNING_SECRET, 'the image handler is not deployed with signatures on');
    const sourceBucket = imageHandler.environment.SOURCE_BUCKETS!.split(',')[0]!;
    const photo = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#3a7' } }).jpeg().toBuffer();
    await s3.send(new PutObjectCommand({ Bucket: sourceBucket, Key: 'rehearsal/photo.jpg', Body: photo, ContentType: 'image/jpeg' }));
    const apiEvent = (urlPath: string, query: Record<string, string> | null) => ({
      ...(JSON.parse(readFileSync(path.join(root, 'test/fixtures/events/apigw-rest-v1-thumbor.json'), 'utf8')) as object),
      path: urlPath,
      pathParameters: { proxy: urlPath.slice(1) },
      headers: { Accept: 'image/*', 'User-Agent': 'Amazon CloudFront', [ORIGIN_HEADER]: ORIGIN_VALUE },
      multiValueHeaders: {},
      queryStringParameters: query,
      multiValueQueryStringParameters: query ? Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]])) : null,
    });
    /** The handler's answer to a GET of `urlPath`, signed as SIH clients sign unless `signed` is false. */
    const answer = async (urlPath: string, { signed = true } = {}) => {
      const query = signed ? { signature: sign(SIGNING_KEY, urlPath) } : null;
      const { payload, functionError } = await imageHandler.emulator.invoke(apiEvent(urlPath, query));
      assert(!functionError, `${urlPath}: the function failed: ${JSON.stringify(payload)}`);
      return payload as { statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: boolean };
    };
    const imageOf = async (response: Awaited<ReturnType<typeof answer>>) => sharp(Buffer.from(response.body, response.isBase64Encoded ? 'base64' : 'utf8')).metadata();

    const scenarios: Scenario[] = [
      {
        name: 'CloudFront Function (viewer request) normalizes Accept',
        run: async () => {
          const fn = assembly.cloudFrontFunctions.find((candidate) => candidate.code.includes('headers.accept'));
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
        name: 'image handler: signed URLs (SIH signature from Secrets Manager)',
        run: async () => {
          const urlPath = '/fit-in/120x120/rehearsal/photo.jpg';
          const signed = await answer(urlPath);
          assert(signed.statusCode === 200, `signed: status ${signed.statusCode}`);
          const unsigned = await answer(urlPath, { signed: false });
          const forged = await imageHandler.emulator.invoke(apiEvent(urlPath, { signature: sign('not-the-key', urlPath) }));
          const forgedStatus = (forged.payload as { statusCode: number }).statusCode;
          assert(unsigned.statusCode === 400 || unsigned.statusCode === 403, `unsigned: status ${unsigned.statusCode}`);
          assert(forgedStatus === 403, `wrong key: status ${forgedStatus}`);
          return `signed 200, unsigned ${unsigned.statusCode} ${(JSON.parse(unsigned.body) as { code?: string }).code ?? ''}, wrong key ${forgedStatus}`;
        },
      },
      {
        name: 'image handler: a result over 6 MB is a redirect to the result bucket',
        run: async () => {
          // Noise does not compress: a 2000×2000 PNG of it is ~12 MB, over Lambda's 6 MB response limit.
          const noise = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).jpeg({ quality: 95 }).toBuffer();
          await s3.send(new PutObjectCommand({ Bucket: sourceBucket, Key: 'rehearsal/noise.jpg', Body: noise, ContentType: 'image/jpeg' }));
          const request = Buffer.from(JSON.stringify({ bucket: sourceBucket, key: 'rehearsal/noise.jpg', edits: { toFormat: 'png' } })).toString('base64');
          const response = await answer(`/${request}`);
          assert(response.statusCode === 302, `status ${response.statusCode}: ${response.body?.slice(0, 200)}`);
          const location = response.headers.Location ?? response.headers.location;
          const resultBucket = imageHandler.environment.RESULT_BUCKET!;
          assert(location && location.includes(`/${resultBucket}/results/`), `Location ${location} is not in the result bucket ${resultBucket}`);
          const fetched = await fetch(location);
          const body = Buffer.from(await fetched.arrayBuffer());
          const meta = await sharp(body).metadata();
          assert(fetched.ok && meta.format === 'png' && meta.width === 2000 && body.length > 6 * 1024 * 1024, `fetched ${fetched.status}, ${meta.format} ${meta.width}, ${body.length} bytes`);
          return `302 → s3://${resultBucket}/results/…, ${(body.length / 1024 / 1024).toFixed(1)} MB png ${meta.width}x${meta.height} through the presigned URL`;
        },
      },
      {
        name: 'image handler: only CloudFront gets through (origin secret header)',
        run: async () => {
          const urlPath = '/fit-in/80x80/rehearsal/photo.jpg';
          const direct = apiEvent(urlPath, { signature: sign(SIGNING_KEY, urlPath) }) as { headers: Record<string, string> };
          delete direct.headers[ORIGIN_HEADER];
          const { payload } = await imageHandler.emulator.invoke(direct);
          const status = (payload as { statusCode: number }).statusCode;
          assert(originSecretId, 'the image handler is deployed without ORIGIN_SECRET');
          assert(status === 403, `without ${ORIGIN_HEADER}: status ${status}`);
          return `without ${ORIGIN_HEADER}: ${status}; with it (every other scenario): served`;
        },
      },
      {
        name: 'image handler: its access log line, as the runtime hands stdout to CloudWatch',
        run: async () => {
          // The logger (core/observability/logger.ts) writes JSON lines to stdout itself: the line
          // shape operators query (level, time, service, msg, fields), in the emulator as in Lambda.
          const urlPath = '/fit-in/64x64/rehearsal/photo.jpg';
          const response = await answer(urlPath);
          assert(response.statusCode === 200, `status ${response.statusCode}`);
          const output = imageHandler.emulator.logs().split('\n');
          // The logger's own line is its JSON alone: no runtime prefix, whatever the function's log format.
          // (This scenario's path is its own: the events here all carry the same API Gateway request id.)
          const raw = output.findLast((candidate) => candidate.includes('"msg":"request"') && candidate.includes(`"path":"${urlPath}"`));
          assert(raw !== undefined && raw.startsWith('{'), `no access log line for ${urlPath} in:\n${output.slice(-20).join('\n')}`);
          const line = JSON.parse(raw) as Record<string, unknown>;
          const { level, time, service, route, door, status, requestId } = line;
          assert(level === 'info' && typeof time === 'string' && !Number.isNaN(Date.parse(time)) && service === 'shutter', `line shape: ${JSON.stringify(line)}`);
          assert(route === 'image' && door === 'Thumbor' && status === 200 && requestId === response.headers['X-Request-Id'], `line fields: ${JSON.stringify(line)}`);
          // The EMF line beside it (console.log's, after the runtime's text prefix), which CloudWatch turns into metrics.
          assert(output.some((candidate) => candidate.includes('"_aws"') && candidate.includes('"Route":"image"')), 'no EMF line for the request');
          return `{"level":"info","time":…,"service":"shutter",…,"msg":"request"} and its EMF line`;
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
          const lakePrefix = imageHandler.environment.LAKE_PREFIX ?? 'events/';
          const deadline = Date.now() + 30_000;
          for (;;) {
            const listed = await s3.send(new ListObjectsV2Command({ Bucket: lake, Prefix: lakePrefix }));
            const objects = listed.Contents ?? [];
            if (objects.length) return `${objects.length} access-event objects in s3://${lake}/${lakePrefix}`;
            assert(Date.now() < deadline, `no access events in s3://${lake}/${lakePrefix}\n${imageHandler.emulator.logs().slice(-2000)}`);
            // The record is written after the answer: the next invocation thaws it, as in Lambda.
            await answer('/fit-in/50x50/rehearsal/photo.jpg');
          }
        },
      },
      {
        name: 'workflow: upload → EventBridge event → start-image-workflow → state machine → renditions + manifest → Kafka → archiver → lake → uploads_per_day',
        run: async () => {
          const photoKey = `rehearsal/cat-${Date.now()}.jpg`;
          const { execution, imageId } = await upload(photoKey, photo);
          assert(execution.status === 'SUCCEEDED', `execution ${execution.status}: ${execution.error}: ${String(execution.cause).slice(0, 800)}`);
          const renditions = resolved('Workflows/PublishTask/Function', 'RENDITIONS_BUCKET');
          const listed = (await s3.send(new ListObjectsV2Command({ Bucket: renditions, Prefix: photoKey }))).Contents ?? [];
          const keys = listed.map((object) => object.Key!);
          assert(keys.includes(manifestKey(photoKey)), `no manifest among ${keys.join(', ')}`);
          assert(keys.length > 1, 'no rendition next to the manifest');
          const types = await eventsOn(imageId, 'image.workflow.completed');
          const archived = await archive();
          const result = await query('uploads_per_day');
          assert(result.rows.some((row) => Number(row.completed) >= 1), `uploads_per_day: ${JSON.stringify(result.rows)}`);
          return `${execution.status}; ${keys.length - 1} renditions + manifest; events ${[...new Set(types)].join(', ')}; ${archived} archived into ${result.objects} lake objects; uploads_per_day → ${JSON.stringify(result.rows)} [Athena stand-in: DuckDB; Rekognition stand-in]`;
        },
      },
      {
        name: 'workflow: a flagged image goes to quarantine (moderation path)',
        run: async () => {
          const key = `rehearsal/flagged-${Date.now()}.jpg`;
          // Other bytes than the first upload: analysis results are cached by content hash.
          const flagged = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#d42' } }).jpeg().toBuffer();
          rekognition.flag(flagged);
          const { execution, imageId } = await upload(key, flagged);
          const quarantine = resolved('Workflows/QuarantineTask/Function', 'QUARANTINE_BUCKET');
          const held = (await s3.send(new ListObjectsV2Command({ Bucket: quarantine, Prefix: key }))).Contents ?? [];
          assert(held.length >= 1, `nothing in s3://${quarantine}/${key} (execution ${execution.status}, ${rekognition.calls.length} Rekognition calls, output ${JSON.stringify(execution.output).slice(0, 600)})`);
          const types = await eventsOn(imageId, 'image.moderation.flagged');
          return `${execution.status}; ${held.length} object(s) in quarantine; events ${[...new Set(types)].join(', ')} [Rekognition stand-in]`;
        },
      },
      {
        name: 'workflow: a corrupt image ends in HandleFailure → image.workflow.failed → lake → errors_by_code',
        run: async () => {
          const key = `rehearsal/broken-${Date.now()}.jpg`;
          const { execution, imageId } = await upload(key, Buffer.concat([photo.subarray(0, 200), Buffer.alloc(200)]));
          const types = await eventsOn(imageId, 'image.workflow.failed');
          await archive();
          const result = await query('errors_by_code');
          const row = result.rows.find((candidate) => candidate.origin === 'workflow');
          assert(row && Number(row.errors) >= 1, `errors_by_code: ${JSON.stringify(result.rows)}`);
          return `${execution.status}; events ${[...new Set(types)].join(', ')}; errors_by_code → ${JSON.stringify(row)} [Athena stand-in: DuckDB]`;
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
    await consumer?.disconnect().catch(() => undefined);
    await engine?.close().catch(() => undefined);
    await kafka.destroy();
    await rekognition.stop();
    moto.stop();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`rehearsal: took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  console.log(`rehearsal: ${passed}/${total} scenarios passed`);
  return passed === total && total > 0 ? 0 : 1;
}

process.exit(await main());

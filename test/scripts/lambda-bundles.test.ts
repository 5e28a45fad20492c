/**
 * What each Lambda bundle holds, from esbuild's metafile with the very options `npm run
 * build:lambdas` uses. The *start path* of a bundle is its entry chunk and every chunk it imports
 * statically: what a cold start loads. Adapters the composition root imports on first use
 * (core/adapters/lazy-adapter.ts) are chunks off that path.
 */
import { build, type Metafile } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { esbuildOptions, lambdaEntries, startPathOutputs } from '../../scripts/build-lambdas.mjs';

interface BundleContents {
  /** Source files and packages (`node_modules/<name>/...`) of the start path. */
  startPath: string[];
  /** Everything in the bundle, lazily loaded chunks included. */
  all: string[];
  /** What a cold start reads and compiles: the start path's output files, minified, in KB. */
  startKb: number;
}

const outDir = mkdtempSync(path.join(tmpdir(), 'shutter-bundles-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const built = new Map<string, Promise<BundleContents>>();

/** Each bundle is built once per run, however many tests read it. */
function contents(name: string): Promise<BundleContents> {
  if (!built.has(name)) built.set(name, buildContents(name));
  return built.get(name)!;
}

async function buildContents(name: string): Promise<BundleContents> {
  const entry = lambdaEntries().find((candidate) => candidate.name === name)!;
  const { metafile } = (await build({ ...esbuildOptions(entry, path.join(outDir, name)), write: false, metafile: true, logLevel: 'error' })) as {
    metafile: Metafile;
  };
  const outputs = metafile.outputs;
  const onStartPath = startPathOutputs(metafile, entry);
  const inputsOf = (names: Iterable<string>) => [...names].flatMap((output) => Object.keys(outputs[output]!.inputs));
  const startKb = onStartPath.reduce((sum, output) => sum + outputs[output]!.bytes, 0) / 1024;
  return { startPath: inputsOf(onStartPath), all: inputsOf(Object.keys(outputs)), startKb };
}

/** Modules off the image Lambda's start path: the bulk workflow, the console and analytics never run there; the rest load on first use. */
const NOT_FOR_IMAGE_REQUESTS: Array<[string, RegExp]> = [
  ['workflow code', /^(workflows|tasks)\//],
  ['console code', /^console\//],
  ['analytics code', /^analytics\//],
  ['Kafka', /node_modules\/(kafkajs|aws-msk-iam-sasl-signer-js)\/|core\/adapters\/aws\/kafka-/],
  ['DuckDB', /node_modules\/@duckdb\/|duckdb-query-engine/],
  ['Step Functions', /node_modules\/@aws-sdk\/client-sfn\/|sfn-workflow-engine/],
  ['Athena', /node_modules\/@aws-sdk\/client-athena\/|athena-query-engine/],
  ['Rekognition', /node_modules\/@aws-sdk\/client-rekognition\/|rekognition-analyzer/],
  ['Secrets Manager', /node_modules\/@aws-sdk\/client-secrets-manager\//],
  ['DynamoDB (the settings store opens on first use)', /node_modules\/@aws-sdk\/client-dynamodb\/|dynamodb-settings-store/],
  ['local event log or secrets files (local processes only)', /^core\/adapters\/(local\/(jsonl-event-sink|file-secrets)|event-files\/)/],
  // Full zod is ~450 KB in any bundle that imports it: core's schemas are built with zod/mini (core/zod.ts).
  ['full zod', /node_modules\/zod\/v4\/classic\//],
  // The Lambda reports by EMF lines; prom-client backs core's metrics only where /metrics is served (core/observability/prometheus.ts).
  ['prom-client', /node_modules\/prom-client\/|core\/observability\/prometheus/],
  // The logger is pino's light build (core/observability/logger.ts): pino's Node build loads its transports' machinery.
  ["pino's Node build", /node_modules\/(thread-stream|sonic-boom|pino-std-serializers|safe-stable-stringify|on-exit-leak-free|atomic-sleep|real-require)\/|node_modules\/pino\/(pino\.js|lib\/)/],
  // The image path reads settings the store already validated: it resolves them with core/resolve-delivery.ts.
  ["the delivery settings' schemas", /^core\/delivery-settings\.ts$/],
  // Read only by /meta, for photos with EXIF.
  ['exif-reader', /node_modules\/exif-reader\//],
  // In Lambda the analyzer is Rekognition and storage S3: the local ones load on first use, if ever
  // (model-runtime.ts' packageVersion names the local analyzer before it loads: node built-ins only).
  ['local analysis or folder storage', /^core\/adapters\/local\/(?!model-runtime\.ts$)/],
];

/**
 * The image Lambda's start path budget, in KB of minified output: 1128 KB with full zod (at e5b2e87), 704 KB
 * after; 256 KB once S3 reads were signed requests instead of the S3 client (~430 KB) and prom-client,
 * the local adapters and exif-reader left it (session 5); 188 KB with pino's light build, the delivery
 * settings' schemas off the image path and names left minified (session 6); 199 KB after session 7's
 * request-path work; 200.3 KB with the trace mapper (1.2 KB, session 8), which spares each cold start
 * Node's parsing of every chunk's source map (--enable-source-maps: ~0.07× of `import('sharp')`,
 * bench/README.md); 201.7 KB with the edit and format schemas built on first use (session 9: the
 * `z.lazy` wrappers add 0.3 KB and spare each cold start building ~60 schemas). A little headroom;
 * raising it is a decision to take with `npm run bench -- --only cold-start`, not a number to bump.
 */
const IMAGE_LAMBDA_START_KB = 203;

describe('the image Lambda (api/lambda.ts)', () => {
  let bundle: BundleContents;
  beforeAll(async () => {
    bundle = await contents('image-handler');
  }, 120_000);

  test.each(NOT_FOR_IMAGE_REQUESTS)('its start path holds no %s', (_what, pattern) => {
    expect(bundle.startPath.filter((input) => pattern.test(input))).toEqual([]);
  });

  test(`its start path stays within ${IMAGE_LAMBDA_START_KB} KB`, () => {
    expect(bundle.startKb).toBeLessThanOrEqual(IMAGE_LAMBDA_START_KB);
  });

  test('its start path holds the image path: the doors, the pipeline, the signed S3 reads', () => {
    expect(bundle.startPath).toEqual(
      expect.arrayContaining(['api/lambda.ts', 'api/image-handler.ts', 'api/doors/thumbor-door.ts', 'core/pipeline/render-image.ts', 'core/adapters/aws/s3-signed-requests.ts']),
    );
    // Every image request reads S3: its signed reads load at init, not in the first request.
    expect(bundle.startPath).toContain('node_modules/aws4/aws4.js');
    // The SDK's signer would bring @smithy/core's barrels along (shared with the S3 client's chunk): ~130 KB.
    expect(bundle.startPath.filter((input) => /node_modules\/@smithy\/core\//.test(input))).toEqual([]);
  });

  test('the S3 client (streamed writes, lists, deletes, a large result\'s presigned link) is off the start path', () => {
    expect(bundle.startPath.filter((input) => /node_modules\/@aws-sdk\/(client-s3|s3-request-presigner|lib-storage)\/|core\/adapters\/aws\/s3-(client|storage)\.ts/.test(input))).toEqual([]);
    expect(bundle.all).toEqual(expect.arrayContaining(['core/adapters/aws/s3-client.ts', 'core/adapters/aws/s3-storage.ts']));
  });

  test('it holds no workflow, console or analytics code at all, lazily loaded or not', () => {
    const misplaced = NOT_FOR_IMAGE_REQUESTS.slice(0, 3).flatMap(([, pattern]) => bundle.all.filter((input) => pattern.test(input)));
    expect(misplaced).toEqual([]);
  });

  test('the adapters config may pick in Lambda are in the bundle, off the start path', () => {
    for (const adapter of ['core/adapters/aws/kafka-client.ts', 'core/adapters/aws/rekognition-analyzer.ts', 'core/adapters/aws/secrets-manager-secrets.ts', 'core/adapters/aws/s3-storage.ts', 'core/adapters/https/https-origin-storage.ts']) {
      expect(bundle.all).toContain(adapter);
      expect(bundle.startPath).not.toContain(adapter);
    }
  });
});

/** The sharp pipeline: the steps and the function that runs them (sharp itself is external). */
const PIPELINE = /^core\/pipeline\/(render-image|encode|plan-geometry|steps\/)/;

describe('the console Lambda (console/server/lambda.ts)', () => {
  let bundle: BundleContents;
  beforeAll(async () => {
    bundle = await contents('console-api');
  }, 120_000);

  test("its start path holds the console's API and no sharp pipeline: previews load it on first use", () => {
    expect(bundle.startPath).toEqual(expect.arrayContaining(['console/server/lambda.ts', 'console/server/console-routes.ts', 'console/server/workflow-routes.ts']));
    expect(bundle.startPath.filter((input) => PIPELINE.test(input))).toEqual([]);
    expect(bundle.all).toContain('core/pipeline/render-image.ts');
  });

  test('it holds no image handler or URL doors at all: image URLs are the image API\'s', () => {
    expect(bundle.all.filter((input) => /^api\/(image-handler|image-app|meta|decode-request|doors\/(default|thumbor))/.test(input))).toEqual([]);
  });

  test('Step Functions, Athena and Kafka load on first use, off its start path', () => {
    expect(bundle.startPath.filter((input) => /client-sfn|client-athena|kafkajs|@duckdb/.test(input))).toEqual([]);
  });
});

describe('the workflow tasks and the events archiver', () => {
  const names = lambdaEntries()
    .map((entry) => entry.name)
    .filter((name) => name.startsWith('task-') || name === 'events-archiver');

  test('there are tasks to check', () => {
    expect(names).toEqual(expect.arrayContaining(['task-inspect', 'task-render-renditions', 'task-start-image-workflow', 'events-archiver']));
  });

  test.each(names)('%s holds no console or on-demand API code at all', async (name) => {
    const bundle = await contents(name);
    expect(bundle.all.filter((input) => /^(console|api)\//.test(input))).toEqual([]);
    expect(bundle.startPath.filter((input) => /kafkajs|@duckdb|client-athena/.test(input))).toEqual([]);
  }, 120_000);

  test('a workflow task loads Step Functions only when it starts executions', async () => {
    const inspect = await contents('task-inspect');
    expect(inspect.startPath.filter((input) => /client-sfn|kafkajs|@duckdb|client-athena/.test(input))).toEqual([]);
  }, 120_000);

  test('only the tasks that render hold the sharp pipeline', async () => {
    for (const name of names) {
      const bundle = await contents(name);
      expect([name, bundle.all.some((input) => PIPELINE.test(input))]).toEqual([name, name === 'task-render-renditions']);
    }
  }, 300_000);
});

describe('every Lambda bundle', () => {
  // Lambdas analyse with Rekognition: the local analyzer's worker and models are not in the bundles,
  // so scripts/build-lambdas.mjs stubs its module (a chunk no Lambda would load).
  test.each(lambdaEntries().map((entry) => entry.name))('%s holds no local analyzer code', async (name) => {
    expect((await contents(name)).all.filter((input) => /^core\/adapters\/local\/(local-analyzer|analysis-worker|model-worker|face-)/.test(input))).toEqual([]);
  }, 120_000);

  // Traces of the minified bundles read through their source maps when one is formatted (the
  // deployed functions run without --enable-source-maps, which parses every map at cold start).
  test.each(lambdaEntries().map((entry) => entry.name))('%s maps its traces: the trace mapper is on its start path', async (name) => {
    expect((await contents(name)).startPath).toContain('core/observability/mapped-stacks.ts');
  }, 120_000);
});

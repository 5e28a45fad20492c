/** Which analyzer the composition root picks, from ANALYZER and where the process runs. */
import path from 'node:path';
import { ATTENTION_ANALYZER, createAnalyzer, REKOGNITION_ANALYZER } from '../../core/compose.js';
import { loadConfig } from '../../core/config.js';

const config = (env: Record<string, string>) => loadConfig({ SHUTTER_DATA_DIR: '/tmp/shutter-compose-test', SOURCE_BUCKETS: 'images', ...env });

describe('ANALYZER', () => {
  test.each([
    ['local by default', {}, /^local\(nsfwjs@[\d.]+\/MobileNetV2\+face-api@[\d.]+\/ssd_mobilenetv1\/search-\d+\+libvips-attention\)$/],
    ['rekognition by default inside Lambda', { AWS_LAMBDA_FUNCTION_NAME: 'image-handler', AWS_REGION: 'us-east-1' }, /^aws-rekognition$/],
    ['rekognition when asked', { ANALYZER: 'rekognition', AWS_REGION: 'eu-west-1' }, /^aws-rekognition$/],
    ['local inside Lambda when asked', { ANALYZER: 'local', AWS_LAMBDA_FUNCTION_NAME: 'image-handler' }, /^local\(/],
    ['attention when asked', { ANALYZER: 'attention' }, /^libvips-attention$/],
    ['local with the Tiny face detector', { LOCAL_FACE_MODEL: 'tiny' }, /^local\(nsfwjs@[\d.]+\/MobileNetV2\+face-api@[\d.]+\/tiny_face_detector\/search-\d+\+/],
  ])('%s', (_name, env, name) => {
    expect(createAnalyzer(config(env)).name).toMatch(name);
  });

  test('an unknown analyzer is a configuration error naming the choices', () => {
    expect(() => config({ ANALYZER: 'clip' })).toThrow(/ANALYZER.*local.*rekognition.*attention/s);
  });
});

describe('analysis cache settings', () => {
  test('on disk under the data folder by default, in memory only inside Lambda', () => {
    expect(config({}).analysis.cacheDir).toBe(path.join('/tmp/shutter-compose-test', 'analysis'));
    expect(config({ AWS_LAMBDA_FUNCTION_NAME: 'f' }).analysis.cacheDir).toBeUndefined();
    expect(config({ ANALYSIS_DISK_CACHE: 'No' }).analysis.cacheDir).toBeUndefined();
    expect(config({ ANALYSIS_DISK_CACHE: 'Yes', AWS_LAMBDA_FUNCTION_NAME: 'f' }).analysis.cacheDir).toBeDefined();
  });

  test('bad values are reported together', () => {
    expect(() => config({ ANALYSIS_CACHE_ENTRIES: '0', ANALYSIS_DISK_CACHE: 'maybe' })).toThrow(/ANALYSIS_CACHE_ENTRIES[\s\S]*ANALYSIS_DISK_CACHE|ANALYSIS_DISK_CACHE[\s\S]*ANALYSIS_CACHE_ENTRIES/);
  });
});

test('the Rekognition analyzer is named before it loads as it is once loaded (the analysis cache keys on the name)', async () => {
  const [{ RekognitionClient }, { RekognitionAnalyzer }] = await Promise.all([
    import('@aws-sdk/client-rekognition'),
    import('../../core/adapters/aws/rekognition-analyzer.js'),
  ]);
  const loaded = new RekognitionAnalyzer(new RekognitionClient({ region: 'us-east-1' }), { readFromS3: false });
  expect(REKOGNITION_ANALYZER).toBe(loaded.name);
  expect(createAnalyzer(config({ ANALYZER: 'rekognition', AWS_REGION: 'us-east-1' })).name).toBe(loaded.name);
});

test.each([
  ['local', {}, 'ssd_mobilenetv1'],
  ['local with the Tiny face detector', { LOCAL_FACE_MODEL: 'tiny' }, 'tiny_face_detector'],
] as const)('the %s analyzer is named before it loads as it is once loaded', async (_name, env, faceModel) => {
  const { LocalAnalyzer } = await import('../../core/adapters/local/local-analyzer.js');
  const loaded = new LocalAnalyzer({ faceModel });
  expect(createAnalyzer(config(env)).name).toBe(loaded.name);
  await loaded.close();
});

test('the attention analyzer is named before it loads as it is once loaded', async () => {
  const { AttentionAnalyzer } = await import('../../core/adapters/local/attention-analyzer.js');
  expect(ATTENTION_ANALYZER).toBe(new AttentionAnalyzer().name);
  expect(createAnalyzer(config({ ANALYZER: 'attention' })).name).toBe(ATTENTION_ANALYZER);
});

describe('ANALYSIS_WORKER_IDLE_SECONDS', () => {
  test('the local models\' worker ends after 5 idle minutes by default, or the seconds given; 0 is refused', () => {
    expect(config({}).analysis.workerIdleMs).toBe(300_000);
    expect(config({ ANALYSIS_WORKER_IDLE_SECONDS: '30' }).analysis.workerIdleMs).toBe(30_000);
    expect(() => config({ ANALYSIS_WORKER_IDLE_SECONDS: '0' })).toThrow(/ANALYSIS_WORKER_IDLE_SECONDS/);
  });
});

import { loadConfig } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';

test('the workflow settings have defaults that run locally with nothing set', () => {
  expect(loadConfig({}).workflow).toEqual({
    engine: 'local',
    buckets: { uploads: 'uploads', renditions: 'renditions', quarantine: 'quarantine' },
    renditionsFile: undefined,
    renditionsBaseUrl: '',
    stateMachineArns: {},
    concurrency: 3,
    renders: 2,
    review: false,
    minModerationConfidence: 75,
    watchUploads: true,
    uploadRetentionDays: 7,
  });
  // In Lambda the tasks default to Step Functions (and S3, with SIH's SOURCE_BUCKETS).
  expect(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'shutter-inspect', SOURCE_BUCKETS: 'images' }).workflow.engine).toBe('stepfunctions');
});

test('every problem with the workflow settings is reported at once', () => {
  let error: unknown;
  try {
    loadConfig({ UPLOADS_BUCKET: 'Bad_Bucket', WORKFLOW_ENGINE: 'stepfunctions', MODERATION_MIN_CONFIDENCE: '101', WORKFLOW_CONCURRENCY: '0' });
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConfigError);
  // Schema errors come first and alone; fix them, and the rest are listed together.
  expect((error as ConfigError).problems.join('\n')).toMatch(/WORKFLOW_CONCURRENCY/);
  try {
    loadConfig({ UPLOADS_BUCKET: 'Bad_Bucket', WORKFLOW_ENGINE: 'stepfunctions', MODERATION_MIN_CONFIDENCE: '101' });
  } catch (caught) {
    error = caught;
  }
  const problems = (error as ConfigError).problems.join('\n');
  expect(problems).toMatch(/UPLOADS_BUCKET: "Bad_Bucket"/);
  expect(problems).toMatch(/IMAGE_STATE_MACHINE_ARN/);
  expect(problems).toMatch(/MODERATION_MIN_CONFIDENCE/);
});

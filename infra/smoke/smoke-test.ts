/**
 * The pipeline's post-deployment smoke test (`infra/pipeline.ts`), run in CodeBuild against a
 * freshly deployed stage: `node scripts/run-ts.mjs infra/smoke/smoke-test.ts`.
 *
 * 1. Puts a sample photo in the images bucket under a key of its own, and fetches a resized
 *    copy through the deployed image URL (signed when the stage signs URLs): 200, an image of
 *    the size asked.
 * 2. Uploads the same photo to the uploads bucket and waits for the image workflow's
 *    execution of that upload to succeed: its last state, Publish, has then written the
 *    manifest and published the completion event.
 *
 * Reads the stack's outputs from the environment (CDK Pipelines' envFromCfnOutputs):
 * API_ENDPOINT, IMAGES_BUCKET, UPLOADS_BUCKET, STATE_MACHINE_ARN, and SIGNING_SECRET when the
 * stage signs URLs. Exits non-zero on the first failure, which fails the pipeline stage.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { sign } from '../../api/signature.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`smoke test: ${name} is not set`);
  return value;
};

/** Waits for `check` to return a value, polling every `everyMs`, for at most `forMs`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, forMs: number, everyMs = 5000): Promise<T> {
  const deadline = Date.now() + forMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`smoke test: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

async function main(): Promise<void> {
  const run = `smoke/${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const photo = readFileSync(path.resolve('samples/astronaut.jpg'));
  const s3 = new S3Client({});

  // 1. On demand.
  await s3.send(new PutObjectCommand({ Bucket: env('IMAGES_BUCKET'), Key: `${run}.jpg`, Body: photo, ContentType: 'image/jpeg' }));
  const imagePath = `/fit-in/64x64/${run}.jpg`;
  let query = '';
  if (process.env.SIGNING_SECRET) {
    const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: process.env.SIGNING_SECRET }));
    const key = (JSON.parse(secret.SecretString ?? '{}') as Record<string, string>)[process.env.SIGNING_SECRET_KEY ?? 'signatureKey'];
    if (!key) throw new Error('smoke test: the signing secret holds no signing key');
    query = `?signature=${sign(key, imagePath)}`;
  }
  const response = await fetch(`${env('API_ENDPOINT')}${imagePath}${query}`);
  if (response.status !== 200) throw new Error(`smoke test: ${imagePath} answered ${response.status}: ${await response.text()}`);
  const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
  if (Math.max(meta.width ?? 0, meta.height ?? 0) !== 64) throw new Error(`smoke test: expected a 64 px image, got ${meta.width}×${meta.height}`);
  console.log(`on demand: ${imagePath} → ${meta.format} ${meta.width}×${meta.height}`);

  // 2. In bulk: the upload's execution (named after bucket, key and ETag) must succeed.
  const uploadKey = `${run}/astronaut.jpg`;
  await s3.send(new PutObjectCommand({ Bucket: env('UPLOADS_BUCKET'), Key: uploadKey, Body: photo, ContentType: 'image/jpeg' }));
  const sfn = new SFNClient({});
  const stateMachineArn = env('STATE_MACHINE_ARN');
  const executionArn = await until(
    `an execution for ${uploadKey}`,
    async () => {
      const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 50 }));
      for (const execution of executions) {
        const described = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
        if (described.input?.includes(uploadKey)) return execution.executionArn!;
      }
      return undefined;
    },
    120_000,
  );
  const status = await until(
    `the execution ${executionArn} to end`,
    async () => {
      const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return status === 'RUNNING' || status === 'PENDING_REDRIVE' ? undefined : status;
    },
    600_000,
  );
  if (status !== 'SUCCEEDED') throw new Error(`smoke test: the workflow of ${uploadKey} ended ${status} (${executionArn})`);
  console.log(`in bulk: ${uploadKey} → ${status}; its completion event was published`);
}

await main();

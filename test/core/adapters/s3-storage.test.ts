import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { S3Storage } from '../../../core/adapters/aws/s3-storage.js';
import { storageContract } from '../storage-contract.js';

/** Runs against the real moto_server started by the suite's global setup (never skipped). */
function client(): S3Client {
  const endpoint = process.env.SHUTTER_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('SHUTTER_TEST_S3_ENDPOINT is not set: the S3-compatible server did not start');
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

storageContract('S3Storage (moto_server)', async () => {
  const s3 = client();
  const bucket = `contract-${Date.now()}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return { storage: new S3Storage(s3), bucket };
});

test('S3Storage: a missing bucket is a 404 NoSuchBucket', async () => {
  await expect(new S3Storage(client()).get('no-such-bucket-here', 'x.jpg')).rejects.toMatchObject({ status: 404 });
});

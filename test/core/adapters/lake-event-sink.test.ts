/**
 * The lake sink (Lambda with streaming off) runs the EventSink contract like every other sink,
 * against the real moto_server S3 of the suite's global setup (never skipped).
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { S3Storage } from '../../../core/adapters/aws/s3-storage.js';
import { LakeEventSink } from '../../../core/adapters/lake-event-sink.js';
import type { ShutterEvent } from '../../../core/ports/event-sink.js';
import type { Storage } from '../../../core/ports/storage.js';
import { renditionEvent } from '../../helpers/events.js';
import { eventSinkContract } from '../event-sink-contract.js';

function client(): S3Client {
  const endpoint = process.env.SHUTTER_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('SHUTTER_TEST_S3_ENDPOINT is not set: the S3-compatible server did not start');
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

async function lake(): Promise<{ storage: Storage; bucket: string }> {
  const s3 = client();
  const bucket = `lake-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return { storage: new S3Storage(s3), bucket };
}

/** Every event in the lake's objects, copies dropped, as the events_once view reads them. */
async function readLake(storage: Storage, bucket: string): Promise<ShutterEvent[]> {
  const events = new Map<string, ShutterEvent>();
  const listed = await storage.list(bucket, 'events/');
  for (const { key } of [...listed.objects].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    const text = (await storage.get(bucket, key)).body.toString('utf8');
    for (const line of text.split('\n').filter(Boolean)) {
      const event = JSON.parse(line) as ShutterEvent;
      if (!events.has(event.id)) events.set(event.id, event);
    }
  }
  return [...events.values()];
}

eventSinkContract('LakeEventSink (moto_server S3)', async () => {
  const { storage, bucket } = await lake();
  const sink = new LakeEventSink({ storage, bucket });
  return { sink, readBack: () => readLake(storage, bucket), close: () => sink.close() };
}, { keepsOrder: false });

test('LakeEventSink: a publish after close is refused, and nothing is written for it', async () => {
  const { storage, bucket } = await lake();
  const sink = new LakeEventSink({ storage, bucket });
  const before = renditionEvent(1);
  await sink.publish([before]);
  await sink.close();
  await expect(sink.publish([renditionEvent(2)])).rejects.toThrow('LakeEventSink is closed');
  expect((await readLake(storage, bucket)).map((event) => event.id)).toEqual([before.id]);
});

import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDbSettingsStore } from '../../../core/adapters/aws/dynamodb-settings-store.js';
import { SqliteSettingsStore } from '../../../core/adapters/local/sqlite-settings-store.js';
import { settingsStoreContract } from '../settings-store-contract.js';

settingsStoreContract('SqliteSettingsStore', async () => new SqliteSettingsStore(path.join(await mkdtemp(path.join(tmpdir(), 'shutter-settings-')), 'settings.db')), {
  isolatesConcurrentWrites: true,
});

/** Against the real moto_server the suite's global setup starts (never skipped). */
function dynamo(): DynamoDBClient {
  const endpoint = process.env.SHUTTER_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('SHUTTER_TEST_S3_ENDPOINT is not set: moto_server did not start');
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

let tables = 0;
settingsStoreContract('DynamoDbSettingsStore (moto_server)', async () => {
  const client = dynamo();
  const table = `shutter-settings-${process.pid}-${Date.now()}-${tables++}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [
        { AttributeName: 'kind', KeyType: 'HASH' },
        { AttributeName: 'name', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'kind', AttributeType: 'S' },
        { AttributeName: 'name', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return new DynamoDbSettingsStore(client, table);
}, { isolatesConcurrentWrites: false });

test('DynamoDbSettingsStore: an unreachable table is a passing fault (503), not a client error', async () => {
  const store = new DynamoDbSettingsStore(new DynamoDBClient({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), 'none');
  await expect(store.list('policies')).rejects.toMatchObject({ code: 'Settings::Unavailable', status: 503 });
});

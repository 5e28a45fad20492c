import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SecretsManagerSecrets } from '../../../core/adapters/aws/secrets-manager-secrets.js';
import { FileSecrets } from '../../../core/adapters/local/file-secrets.js';

describe('SecretsManagerSecrets', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  afterEach(() => secretsManager.reset());

  test('reads the SecretString once per TTL', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: 'shutter-signing' }).resolves({
      ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:shutter-signing-AbCdEf',
      Name: 'shutter-signing',
      VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
      SecretString: '{"signatureKey":"secret"}',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: new Date('2026-11-01T00:00:00Z'),
    });
    let now = 0;
    const secrets = new SecretsManagerSecrets(new SecretsManagerClient({ region: 'us-east-1' }), 60_000, () => now);
    expect(await secrets.getSecret('shutter-signing')).toBe('{"signatureKey":"secret"}');
    now = 59_000;
    await secrets.getSecret('shutter-signing');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now = 61_000;
    await secrets.getSecret('shutter-signing');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  test('a failure is an error that never carries the secret', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(Object.assign(new Error("Secrets Manager can't find the specified secret."), { name: 'ResourceNotFoundException' }));
    const secrets = new SecretsManagerSecrets(new SecretsManagerClient({ region: 'us-east-1' }));
    await expect(secrets.getSecret('missing')).rejects.toMatchObject({ code: 'SecretsManager::Unavailable' });
  });
});

describe('FileSecrets', () => {
  test('reads <dir>/<name>.json and refuses names that climb out', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shutter-secrets-'));
    await mkdir(path.join(dir, 'team'), { recursive: true });
    await writeFile(path.join(dir, 'team', 'signing.json'), '{"k":"v"}');
    const secrets = new FileSecrets(dir);
    expect(await secrets.getSecret('team/signing')).toBe('{"k":"v"}');
    await expect(secrets.getSecret('../etc/passwd')).rejects.toMatchObject({ code: 'ConfigError' });
    await expect(secrets.getSecret('missing')).rejects.toMatchObject({ code: 'ConfigError' });
  });
});

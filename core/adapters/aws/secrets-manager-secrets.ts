import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { TransientError } from '../../errors.js';
import type { Secrets } from '../../ports/secrets.js';

/** Secrets Manager, cached per name for `ttlMs` so a hot Lambda does not call it per request. */
export class SecretsManagerSecrets implements Secrets {
  private readonly cache = new Map<string, { value: string; expiresAt: number }>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async getSecret(name: string): Promise<string> {
    const cached = this.cache.get(name);
    if (cached && cached.expiresAt > this.now()) return cached.value;
    try {
      const response = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      const value = response.SecretString ?? '';
      this.cache.set(name, { value, expiresAt: this.now() + this.ttlMs });
      return value;
    } catch (error) {
      throw new TransientError('SecretsManager::Unavailable', `The secret ${name} could not be read.`, 500, { cause: error });
    }
  }
}

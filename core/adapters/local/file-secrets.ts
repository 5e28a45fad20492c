import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../errors.js';
import type { Secrets } from '../../ports/secrets.js';

/**
 * Secrets on disk: `<dir>/<name>.json` holds what Secrets Manager's SecretString would.
 * Read on each call: the file is small and changes (key rotation) take effect at once.
 */
export class FileSecrets implements Secrets {
  constructor(private readonly dir: string) {}

  async getSecret(name: string): Promise<string> {
    if (!/^[\w/+=.@-]{1,512}$/.test(name) || name.split('/').includes('..')) {
      throw new ConfigError([`SECRETS_MANAGER "${name}" is not a valid secret name`]);
    }
    const file = path.join(this.dir, `${name}.json`);
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigError([`the secret ${name} could not be read from ${file}: ${(error as Error).message}`]);
    }
  }
}

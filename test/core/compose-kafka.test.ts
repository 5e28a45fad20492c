import { kafkaConfig } from '../../core/adapters/aws/kafka-client.js';
import { loadConfig } from '../../core/config.js';

describe('Kafka client settings', () => {
  test('plain brokers: no TLS, no SASL', () => {
    const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092' });
    expect(kafkaConfig(config.events.kafka!, undefined)).toMatchObject({ clientId: 'shutter', brokers: ['127.0.0.1:9092'], ssl: false });
    expect(kafkaConfig(config.events.kafka!, undefined)).not.toHaveProperty('sasl');
  });

  test('MSK IAM: TLS, and SASL OAUTHBEARER with a token signed for kafka-cluster:Connect in the region', async () => {
    const keys = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY };
    // Fake credentials: the token is signed locally (SigV4 presigning), no AWS call is made.
    process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    try {
      const config = loadConfig({ KAFKA_BROKERS: 'b-1.shutter.abc123.c2.kafka-serverless.eu-west-1.amazonaws.com:9098', KAFKA_SASL: 'iam', AWS_REGION: 'eu-west-1' });
      const settings = kafkaConfig(config.events.kafka!, config.region);
      expect(settings.ssl).toBe(true);
      const sasl = settings.sasl as { mechanism: string; oauthBearerProvider: () => Promise<{ value: string }> };
      expect(sasl.mechanism).toBe('oauthbearer');
      const { value } = await sasl.oauthBearerProvider();
      const url = new URL(Buffer.from(value, 'base64url').toString());
      expect(url.host).toBe('kafka.eu-west-1.amazonaws.com');
      expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/);
      expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      for (const [name, value] of Object.entries(keys)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

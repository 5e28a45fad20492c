/**
 * kafkajs settings for the configured brokers: TLS when asked, and Amazon MSK IAM auth as SASL
 * OAUTHBEARER with a token signed by `aws-msk-iam-sasl-signer-js` from the default credential
 * chain. Free of the rest of the platform, so a small function can bundle it alone.
 */
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import type { Config } from '../../config.js';

/** kafkajs' connection retries: ~1.5 s in all, then the caller (the outbox sender) backs off. */
export const KAFKA_CLIENT_RETRY = { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 };

/** A Kafka client for the configured brokers (kafkajs asks for a new token before the old one expires). */
export function kafkaClient(kafka: NonNullable<Config['events']['kafka']>, region: string | undefined): Kafka {
  return new Kafka(kafkaConfig(kafka, region));
}

/** The kafkajs settings behind {@link kafkaClient}. */
export function kafkaConfig(kafka: NonNullable<Config['events']['kafka']>, region: string | undefined): KafkaConfig {
  return {
    clientId: kafka.clientId,
    brokers: [...kafka.brokers],
    ssl: kafka.tls,
    ...(kafka.sasl === 'iam'
      ? {
          sasl: {
            mechanism: 'oauthbearer' as const,
            oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region: region! })).token }),
          },
        }
      : {}),
    // Few, short retries inside kafkajs: a longer outage is the outbox's to ride out, with its own backoff.
    retry: KAFKA_CLIENT_RETRY,
    // The sink logs delivery failures itself (with the outbox's state); kafkajs' own retry chatter would drown them.
    logLevel: logLevel.NOTHING,
  };
}

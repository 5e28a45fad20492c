// Starts the real services the suite tests against and publishes their addresses through
// environment variables the workers inherit. A service that cannot start fails the run:
// tests that need it never skip silently.
import { startKafka, startMoto } from './services.mjs';

export default async function globalSetup() {
  const [moto, kafka] = await Promise.allSettled([startMoto(), startKafka()]);
  const started = [moto, kafka].filter((result) => result.status === 'fulfilled').map((result) => result.value);
  globalThis.__shutterServices = started.map((service) => ({ stop: service.destroy ?? service.stop }));
  const failed = [moto, kafka].filter((result) => result.status === 'rejected');
  if (failed.length) {
    for (const service of globalThis.__shutterServices) await service.stop();
    throw new Error(failed.map((result) => result.reason?.message ?? String(result.reason)).join('\n'));
  }
  process.env.SHUTTER_TEST_S3_ENDPOINT = moto.value.endpoint;
  process.env.KAFKA_TEST_BROKERS = kafka.value.brokers;
}

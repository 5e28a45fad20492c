// Starts the real services the suite tests against and publishes their addresses through
// environment variables the workers inherit. A service that cannot start fails the run:
// tests that need it never skip silently.
import { startMoto } from './services.mjs';

export default async function globalSetup() {
  const moto = await startMoto();
  process.env.SHUTTER_TEST_S3_ENDPOINT = moto.endpoint;
  globalThis.__shutterServices = [moto];
}

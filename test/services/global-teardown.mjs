export default async function globalTeardown() {
  for (const service of globalThis.__shutterServices ?? []) await service.stop();
}

/** Jest runs the TypeScript sources as native ES modules, transformed by swc (no type check: `npm run typecheck` does that). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/services/global-setup.mjs',
  globalTeardown: '<rootDir>/test/services/global-teardown.mjs',
  testTimeout: 30000,
  maxWorkers: 2,
};

// Unit tests: pure logic, no services. Integration tests: the real services and the API under
// serverless-offline, started (or reused) by test/integration/global-setup.ts.
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
// middy and the OpenAPI validator are ESM-only; let swc turn them into CommonJS for jest.
const transformIgnorePatterns = ['/node_modules/(?!(@middy|@seriousme)/)'];

module.exports = {
  testTimeout: 120000,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      testEnvironmentOptions: { globalsCleanup: 'off' },
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      // Module-level clients in helpers outlive a file by design; keep jest from soft-deleting them.
      testEnvironmentOptions: { globalsCleanup: 'off' },
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
      setupFiles: ['<rootDir>/test/helpers/test-environment.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/helpers/after-each-file.ts'],
    },
  ],
};

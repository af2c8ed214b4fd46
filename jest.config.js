// Projects: pure/unit tests once, the API suite on each storage engine, end-to-end tests with processes.
// SKIP_POSTGRES=1 leaves the PostgreSQL run out locally; CI=true never does.
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
const base = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };
const apiTests = ['<rootDir>/test/api/**/*.test.ts'];
const skipPostgres = process.env.SKIP_POSTGRES === '1' && process.env.CI !== 'true';

module.exports = {
  testTimeout: 60_000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/api/', '<rootDir>/test/e2e/'],
    },
    { ...base, displayName: 'api-pglite', testMatch: apiTests, setupFiles: ['<rootDir>/test/setup/engine-pglite.ts'] },
    ...(skipPostgres ? [] : [{ ...base, displayName: 'api-postgres', testMatch: apiTests, setupFiles: ['<rootDir>/test/setup/engine-postgres.ts'] }]),
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};

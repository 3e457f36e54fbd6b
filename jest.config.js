// Two kinds of tests, told apart by their suffix (the suffix says the cost):
//   *.unit.spec.ts            pure logic, no services          -> npm run test:unit
//   *.int.spec.ts, *.e2e.spec.ts  real Kafka, registry, PostgreSQL, Redis -> npm run test:int
// `npm test` runs both. The fault suite (*.faults.spec.ts, its own cluster) is jest.faults.config.js.
// Type errors are caught by `npm run typecheck`, so tests only transpile.
const shared = require('./jest.shared');

module.exports = {
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/libs/testing/src/summary-reporter.js'],
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,bench,tools}/**/*.unit.spec.ts'],
    },
    {
      ...shared,
      displayName: 'int',
      testMatch: ['<rootDir>/{apps,libs}/**/*.{int,e2e}.spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/stack/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/stack/global-teardown.ts',
    },
  ],
};

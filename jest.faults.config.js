// The fault suite (npm run test:faults): *.faults.spec.ts under tools/faults, one scenario at a
// time (each injects faults into the one cluster), on a three-node cluster, a registry and a Redis
// that its global set-up starts in a stack dir of its own (tools/faults/env.ts), apart from the
// stack `npm test` uses. Not part of `npm test`.
const shared = require('./jest.shared');

module.exports = {
  testTimeout: 600_000,
  maxWorkers: 1,
  projects: [
    {
      ...shared,
      displayName: 'faults',
      testMatch: ['<rootDir>/tools/faults/**/*.faults.spec.ts'],
      globalSetup: '<rootDir>/tools/faults/global-setup.ts',
      globalTeardown: '<rootDir>/tools/faults/global-teardown.ts',
    },
  ],
};

/** Test tiers by suffix: *.unit.spec.ts (pure, fast), *.int.spec.ts (real store, files, processes), *.e2e.spec.ts (HTTP). */
const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@recert/kernel$': '<rootDir>/libs/kernel/src',
    '^@recert/kernel/pure$': '<rootDir>/libs/kernel/src/pure',
    '^@recert/eventstore$': '<rootDir>/libs/eventstore/src',
    '^@recert/domain$': '<rootDir>/libs/domain/src',
    '^@recert/renewals$': '<rootDir>/libs/renewals/src',
    '^@recert/http$': '<rootDir>/libs/http/src',
    '^@recert/jobs$': '<rootDir>/libs/jobs/src',
    '^@recert/ops$': '<rootDir>/libs/ops/src',
    '^@recert/projections$': '<rootDir>/projections',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

module.exports = {
  // A floor for a loaded 2-core machine; heavy hooks and tests set their own, longer timeouts. No assertion waits on a
  // moment: tests wait for conditions, so this only bounds how long a real hang takes to report. (A global option:
  // jest ignores it inside a project, with an "Unknown option" warning.)
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/**/*.unit.spec.ts'] },
    { ...shared, displayName: 'int', testMatch: ['<rootDir>/**/*.int.spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/**/*.e2e.spec.ts'] },
  ],
};

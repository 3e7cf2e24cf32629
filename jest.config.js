/** Test tiers by suffix: *.unit.spec.ts (pure, fast), *.int.spec.ts (real store, files, processes), *.e2e.spec.ts (HTTP). */
const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@recert/kernel$': '<rootDir>/libs/kernel/src',
    '^@recert/eventstore$': '<rootDir>/libs/eventstore/src',
    '^@recert/renewals$': '<rootDir>/libs/renewals/src',
    '^@recert/projections$': '<rootDir>/projections',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

module.exports = {
  // A floor for a loaded 2-core machine; heavy hooks and tests set their own, longer timeouts. No assertion waits on a
  // moment: tests wait for conditions, so this only bounds how long a real hang takes to report. A global option:
  // inside a project's config Jest ignores it ("Unknown option") and hooks fall back to 5 s.
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/**/*.unit.spec.ts'] },
    { ...shared, displayName: 'int', testMatch: ['<rootDir>/**/*.int.spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/**/*.e2e.spec.ts'] },
  ],
};

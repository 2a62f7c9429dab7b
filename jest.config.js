/**
 * Two projects: `unit` (pure tests: no service start, no model, no index build; `npm run test:unit`)
 * and `service` (everything else: the real server, the model, built indexes, child processes).
 * `npm test` runs both.
 */
const UNIT = [
  '/test/unit/.*\\.test\\.ts$',
  '/test/data/sample-data\\.test\\.ts$',
  '/test/deploy/k8s-manifests\\.test\\.ts$',
  '/test/observability/(docs|otel-imports|refusal-reason)\\.test\\.ts$',
  '/test/relevance/(metrics|rerank)\\.test\\.ts$',
  '/test/ui/(config|proto-json|static-files|judgments)\\.test\\.ts$',
];

const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    // Type checking is done once by `tsc --noEmit` in `npm test`; ts-jest only transpiles.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testRegex: UNIT },
    {
      ...common,
      displayName: 'service',
      // The converted bundled model exists (as after `npm ci`), once per run.
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      // Every other test.
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...UNIT],
    },
  ],
};

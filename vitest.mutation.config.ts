import { defineConfig } from 'vitest/config';

// The tests that exercise src/correlate, src/explain and src/commands in-process, for
// `npm run mutation` (StrykerJS). Tests that run the built bin/hoptrace.js see dist/, not the
// mutated sources, and the lab tests need root: both are left out here.
export default defineConfig({
  test: {
    include: [
      'test/correlate/**/*.test.ts',
      'test/explain/**/*.test.ts',
      'test/commands/**/*.test.ts',
      'test/fixtures/docker-fixtures.test.ts',
      'test/fixtures/truth-fixtures.test.ts',
      'test/fixtures/stopped-at.test.ts',
      'test/fixtures/corpus-pipeline.test.ts',
      'test/render/**/*.test.ts',
      'test/pipeline/**/*.test.ts',
    ],
    env: { CI: 'false' },
    // As the unit project: on a machine shared by many, one test can take seconds.
    testTimeout: 30_000,
  },
});

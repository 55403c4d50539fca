import { defineConfig } from 'vitest/config';

// The tests that exercise src/correlate, src/explain and src/commands in-process, for
// `npm run mutation` (StrykerJS). Tests that run the built bin/hoptrace.js see dist/, not the
// mutated sources, and the lab tests need root: both are left out here. The command line tests
// (test/commands) also replay whole recordings: they cover nearly every line of correlate and
// explain, so they would run for each of those mutants without adding what the pure tests do
// not already hold; they are included only when src/commands is being mutated.
const targets = process.env.MUTATE ? process.env.MUTATE.split(',') : ['src/correlate', 'src/explain', 'src/commands'];
const commands = targets.some((t) => t.startsWith('src/commands'));
const core = targets.some((t) => !t.startsWith('src/commands'));

export default defineConfig({
  test: {
    include: [
      ...(core
        ? [
            'test/correlate/**/*.test.ts',
            'test/explain/**/*.test.ts',
            'test/fixtures/docker-fixtures.test.ts',
            'test/fixtures/truth-fixtures.test.ts',
            'test/fixtures/stopped-at.test.ts',
            'test/fixtures/corpus-pipeline.test.ts',
            'test/render/**/*.test.ts',
            'test/pipeline/**/*.test.ts',
          ]
        : []),
      ...(commands ? ['test/commands/**/*.test.ts'] : []),
    ],
    env: { CI: 'false' },
    // As the unit project: on a machine shared by many, one test can take seconds.
    testTimeout: 30_000,
  },
});

import { defineConfig } from 'vitest/config';

// `npm run mutation:lab` (stryker.lab.config.mjs): the live glue of src/commands with every test
// that can see it in-process. That is the unit tests of src/commands (as in
// vitest.mutation.config.ts) plus the lab tests that call the command code in this process
// against the real Docker lab: test/live/in-process-*.test.ts (main() of src/cli.ts),
// test/lab/multihost-in-process.test.ts (the same across two hosts, in the multi-host lab) and
// test/why/doctor.lab.test.ts (doctor's diagnose). Root only, as the lab project of
// vitest.config.ts; the lab of $HT_LAB_ID is brought up once and torn down at the end; the
// multi-host lab of $HT_LAB_ID is brought up by its test file and left up (HT_LAB_KEEP, set by
// stryker.lab.config.mjs): bring it down with `HT_LAB_ID=.. test/lab/multihost.sh down`.
export default defineConfig({
  test: {
    include: ['test/commands/**/*.test.ts', 'test/live/in-process-*.test.ts', 'test/lab/multihost-in-process.test.ts', 'test/why/doctor.lab.test.ts'],
    env: { CI: 'false' },
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ['test/lab/global-setup.ts'],
  },
});

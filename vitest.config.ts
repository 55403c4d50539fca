import { defineConfig } from 'vitest/config';

// Two projects: the pure tests run in parallel; the lab tests (a real dockerd in network
// namespaces, root only) share one lab, so their files run one after another.
const labTests = ['test/lab/**/*.test.ts', 'test/live/**/*.test.ts', 'test/why/**/*.lab.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: labTests,
          // The UI tests play a user at a terminal; with CI set, Ink draws only the last frame.
          env: { CI: 'false' },
          // Many tests run the real command as a child process: on a busy 2-core machine one
          // start can take seconds, which says nothing about the behaviour under test.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'lab',
          include: labTests,
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // One shared lab for the live tests, brought up once and always torn down at the end.
          globalSetup: ['test/lab/global-setup.ts'],
        },
      },
    ],
  },
});

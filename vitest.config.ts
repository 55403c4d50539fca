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
      {
        test: {
          // Issue 12: the cause tests and doctor through the command, once more on Docker 28, in one
          // lab of its own shared by these files (brought up by the first, down at the end); the
          // IPv6 causes run on 28 only (20.10 writes no ip6tables rules).
          name: 'lab-engine28',
          include: ['test/why/cli-causes.lab.test.ts', 'test/why/cli-doctor.lab.test.ts', 'test/why/cli-ipv6.lab.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
          env: { HT_ENGINE: '28', HT_LAB_ID: 'e28' },
          globalSetup: ['test/why/engine28-setup.ts'],
        },
      },
    ],
  },
});

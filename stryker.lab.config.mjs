// StrykerJS over the live glue of src/commands, with the lab tests that run it in-process
// (root, the Docker lab of $HT_LAB_ID; see vitest.mutation-lab.config.ts). Not part of CI's
// time budget. One file at a time on a small machine:
//   HT_LAB_ID=c52 MUTATE=src/commands/live-trace.ts STRYKER_CONCURRENCY=1 npx stryker run stryker.lab.config.mjs --incremental
// Without MUTATE: the four files whose code runs only with a live capture. Reports and
// incremental files are kept apart from `npm run mutation`'s (reports/mutation/lab-*).
import { fileURLToPath } from 'node:url';

const targets = process.env.MUTATE
  ? process.env.MUTATE.split(',')
  : ['src/commands/live.ts', 'src/commands/live-trace.ts', 'src/commands/doctor.ts', 'src/commands/multi-host-trace.ts'];
// MUTATE may name line ranges (src/commands/live.ts:195-233,...): then MUTATE_SLUG names the reports.
const slug = process.env.MUTATE_SLUG ?? targets.join('+').replace(/[^A-Za-z0-9.+-]+/g, '_');
// The capture helper the in-process tests spawn: the worktree's build (the sandbox holds the
// instrumented sources; the helper is not mutated).
process.env.HT_DIST_HELPER ??= fileURLToPath(new URL('dist/capture/live/helper.js', import.meta.url));
// The multi-host lab stays up between the mutants' runs (test/lab/multihost-in-process.test.ts):
// bring it down afterwards with `HT_LAB_ID=.. test/lab/multihost.sh down`.
process.env.HT_LAB_KEEP ??= '1';

export default {
  testRunner: 'vitest',
  // related: the in-process tests import src/cli.js inside the test, not at the top.
  vitest: { configFile: 'vitest.mutation-lab.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: targets,
  coverageAnalysis: 'perTest',
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 1),
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/lab-${slug}.json` },
  incrementalFile: `reports/mutation/lab-${slug}.incremental.json`,
  tempDirName: '.stryker-tmp',
  timeoutMS: 30_000,
  ignoreStatic: true,
  checkers: [],
};

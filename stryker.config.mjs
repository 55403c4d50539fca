// StrykerJS over the rules that decide what hoptrace says (npm run mutation; not part of CI's
// time budget). One directory at a time on a small machine: MUTATE=src/explain npm run mutation.
const mutate = process.env.MUTATE ? process.env.MUTATE.split(',').map((dir) => `${dir}/**/*.ts`) : ['src/correlate/**/*.ts', 'src/explain/**/*.ts', 'src/commands/**/*.ts'];

export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate,
  coverageAnalysis: 'perTest',
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  timeoutMS: 20_000,
  ignoreStatic: true,
  checkers: [],
};

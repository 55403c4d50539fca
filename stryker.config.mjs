// StrykerJS over the rules that decide what hoptrace says (npm run mutation; not part of CI's
// time budget). One directory or file at a time on a small machine:
//   MUTATE=src/explain npm run mutation -- --incremental
//   MUTATE=src/correlate/rewrites.ts npm run mutation -- --incremental
// Each MUTATE value keeps its own incremental file under reports/mutation/, so a re-run only
// tests the mutants whose code or covering tests changed.
const targets = process.env.MUTATE ? process.env.MUTATE.split(',') : ['src/correlate', 'src/explain', 'src/commands'];
const mutate = targets.map((t) => (t.endsWith('.ts') ? t : `${t}/**/*.ts`));
const slug = targets.join('+').replace(/[^A-Za-z0-9.+-]+/g, '_');

export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate,
  coverageAnalysis: 'perTest',
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${slug}.json` },
  incrementalFile: `reports/mutation/${slug}.incremental.json`,
  tempDirName: '.stryker-tmp',
  timeoutMS: 20_000,
  ignoreStatic: true,
  checkers: [],
};

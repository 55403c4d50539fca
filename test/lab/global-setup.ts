// vitest globalSetup for suites that need the Docker lab (for example test/live):
//   test: { globalSetup: ['test/lab/global-setup.ts'] }
// Brings the lab chosen by $HT_LAB_ID up once before the suite and tears it down after it.
// Without root or the tools it does nothing: the tests themselves skip with labUnavailableReason().
import { createLab, labAvailable } from './lab.js';

export default function setup(): (() => void) | undefined {
  if (!labAvailable()) return undefined;
  const lab = createLab();
  lab.up();
  return () => lab.down();
}

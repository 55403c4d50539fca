import { ExitCode } from '../errors.js';

/** Where a command leaves its exit code for main(): commander drops what an action returns. */
export interface CommandOutcome {
  code: number;
}

export function newOutcome(): CommandOutcome {
  return { code: ExitCode.OK };
}

// vitest globalSetup of the `lab-engine28` project: the cause tests run a second time against
// Docker 28 in their own lab (HT_LAB_ID=e28, set for the workers in vitest.config.ts). The
// tests bring the lab up themselves; this tears it down once the project is done.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { engine28Unavailable, ENGINE28_LAB } from './engine28.js';

export default function setup(): (() => void) | undefined {
  if (engine28Unavailable()) return undefined;
  return () => {
    execFileSync(join(import.meta.dirname, '..', 'lab', 'lab.sh'), ['down'], {
      env: { ...process.env, ...ENGINE28_LAB }, stdio: 'ignore', timeout: 240_000,
    });
  };
}

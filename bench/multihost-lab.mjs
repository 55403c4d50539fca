// The multi-host lab's variables (test/lab/multihost.sh env) for the remote benchmarks, or why
// they cannot run here (a line to print).
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const labScript = path.join(root, 'test', 'lab', 'multihost.sh');

/** The lab's NAME=value lines as an object, or a string saying what is missing. */
export function multihostLabEnv() {
  if (process.getuid?.() !== 0) return 'needs root';
  try {
    execFileSync('bash', [labScript, 'status'], { stdio: 'ignore' });
  } catch {
    return `needs the multi-host lab up (HT_LAB_ID=${process.env.HT_LAB_ID || 'mh'} test/lab/multihost.sh up)`;
  }
  const text = execFileSync('bash', [labScript, 'env'], { encoding: 'utf8' });
  return Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

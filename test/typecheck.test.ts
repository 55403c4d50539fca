// The tests are TypeScript too: a test that no longer type-checks against the code it tests
// (a renamed field, a changed signature) fails here, not silently at run time.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('type checking', () => {
  // Run without blocking the test worker: tsc takes a minute on a loaded machine, and a worker
  // blocked that long cannot answer vitest's RPC (which fails the whole run).
  it('src and test type-check together (tsc -p tsconfig.test.json)', async () => {
    const root = path.join(__dirname, '..');
    const tsc = await new Promise<{ output: string; code: number }>((resolve) => {
      execFile(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
        resolve({ output: stdout + stderr, code: error ? (typeof error.code === 'number' ? error.code : -1) : 0 }));
    });
    expect(tsc.output).toBe('');
    expect(tsc.code).toBe(0);
  }, 180_000);
});

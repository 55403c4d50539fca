// The tests are TypeScript too: a test that no longer type-checks against the code it tests
// (a renamed field, a changed signature) fails here, not silently at run time.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('type checking', () => {
  it('src and test type-check together (tsc -p tsconfig.test.json)', () => {
    const root = path.join(__dirname, '..');
    const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json'], { cwd: root, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 180_000);
});

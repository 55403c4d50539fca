// Shared by the export tests: the real command, the fixture trace directories, scratch dirs,
// and whether Debian's tshark / chromium are there (tests that need them skip, saying why).
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'fixtures');

/** Every recorded trace directory under fixtures/ (the corpus folders hold no path.json). */
export const TRACE_FIXTURES = fs
  .readdirSync(FIXTURES)
  .filter((name) => fs.existsSync(path.join(FIXTURES, name, 'path.json')))
  .sort();

export function hoptrace(args: string[]) {
  const result = spawnSync('node', [path.join(ROOT, 'bin', 'hoptrace.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * hoptrace, without blocking this test worker: a beforeAll that runs the command many times in
 * a row with spawnSync can keep vitest's worker from answering its own RPC for a minute on a
 * loaded machine ("Timeout calling onTaskUpdate", which fails the run).
 */
export function hoptraceAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [path.join(ROOT, 'bin', 'hoptrace.js'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' },
      timeout: 60_000,
      maxBuffer: 64 << 20,
    }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }));
  });
}

export function scratchDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hoptrace-${name}-`));
}

export function which(program: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** tshark, with the warning it prints when run as root removed from stderr. */
export function tshark(args: string[]) {
  const result = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  const stderr = result.stderr
    .split('\n')
    .filter((l) => l !== '' && !/^Running as user "root"/.test(l))
    .join('\n');
  return { code: result.status, stdout: result.stdout, stderr };
}

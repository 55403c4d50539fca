// The UI gives the terminal back on every exit it can see: after SIGINT, SIGTERM and SIGHUP the
// cursor is visible again (tmux's cursor_flag), and SIGINT/SIGTERM still print the report with
// its exit code. Needs tmux and the build (as test/tui/terminal.test.ts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ht-tui-exit-'));
const socket = path.join(socketDir, 'tmux.sock');
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return fs.existsSync(path.join(root, 'dist', 'cli.js'));
  } catch {
    return false;
  }
})();

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} never happened`);
}

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // none left
  }
  fs.rmSync(socketDir, { recursive: true, force: true });
});

const cases: Array<[signal: NodeJS.Signals, exit: string, report: boolean]> = [
  ['SIGINT', 'EXIT=0', true],
  ['SIGTERM', 'EXIT=0', true],
  // The terminal went away: nothing to print on, the shell's code for the signal.
  ['SIGHUP', 'EXIT=129', false],
];

describe.skipIf(!hasTmux)('the terminal after the UI ends by a signal', () => {
  for (const [signal, exit, report] of cases) {
    test(`${signal}: the cursor is back${report ? ', the report printed with its code' : ''}`, async () => {
      const name = signal.toLowerCase();
      const pidFile = path.join(socketDir, `${name}.pid`);
      tmux('new-session', '-d', '-s', name, '-x', '80', '-y', '24', '-e', 'TERM=xterm-256color', '-c', root,
        `env -u CI sh -c 'echo $$ > ${pidFile}; exec node bin/hoptrace.js replay fixtures/ping-out --tui'; echo EXIT=$?; sleep 600`);
      const shown = () => tmux('capture-pane', '-p', '-t', name);
      await until(() => shown().includes('■ ended'), 'the UI');
      expect(tmux('display', '-p', '-t', name, '#{cursor_flag}').trim()).toBe('0');
      process.kill(Number(fs.readFileSync(pidFile, 'utf8')), signal);
      await until(() => shown().includes('EXIT='), 'the exit');
      expect(tmux('display', '-p', '-t', name, '#{cursor_flag}').trim()).toBe('1');
      expect(shown()).toContain(exit);
      if (report) expect(shown()).toContain('1 flow, 0 not ok');
    }, 60_000);
  }
});

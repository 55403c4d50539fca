// The real command in a real terminal: tmux gives it an 80x24 pseudo-terminal, the test reads
// the screen back with capture-pane. Needs tmux (scripts/setup.sh installs it) and the build.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
// A tmux server of its own, on a socket in a directory of its own, removed afterwards.
const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ht-tui-'));
const socket = path.join(socketDir, 'tmux.sock');
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts the command in a fresh window of the given size; the shell stays so the exit code can be read. */
function start(name: string, size: [number, number], command: string, env: Record<string, string>): void {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  tmux('new-session', '-d', '-s', name, '-x', String(size[0]), '-y', String(size[1]), ...envArgs, '-c', root, `${command}; echo EXIT=$?; sleep 600`);
}

function screen(name: string, escapes = false): string {
  return tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', name);
}

async function waitFor(name: string, text: string, escapes = false): Promise<string> {
  for (let i = 0; i < 150; i++) {
    const shown = screen(name, escapes);
    if (shown.includes(text)) return shown;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`"${text}" never appeared on the screen:\n${screen(name)}`);
}

function newestSource(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).reduce((newest, entry) => {
    if (!entry.isFile()) return newest;
    return Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }, 0);
}

// In CI, Ink stops redrawing and chalk stops colouring: the terminal here is real, so unset it.
const TERMINAL_ENV = { TERM: 'xterm-256color' };
const REPLAY = 'env -u CI -u CONTINUOUS_INTEGRATION node bin/hoptrace.js replay fixtures/ping-out --tui';
const veth = (JSON.parse(fs.readFileSync(path.join(root, 'fixtures/ping-out/path.json'), 'utf8')) as { hops: Array<{ name: string }> }).hops[1]!.name;

describe.skipIf(!hasTmux)('the terminal UI in a real terminal (tmux)', () => {
  beforeAll(() => {
    const built = path.join(root, 'dist', 'cli.js');
    if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < newestSource(path.join(root, 'src'))) {
      try {
        execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'ignore' });
      } catch {
        // tsc still writes dist when another module has a type error; the screen decides.
      }
    }
  }, 120_000);
  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      // no server left to stop
    }
    fs.rmSync(socketDir, { recursive: true, force: true });
  });

  test('replay --tui at 80x24 shows the path, the verdict, the SNAT at its hop pair, the timeline, then the report', async () => {
    start('tui80', [80, 24], REPLAY, { ...TERMINAL_ENV, NO_COLOR: '1' });
    const shown = (await waitFor('tui80', '■ ended')).split('\n');
    expect(shown.slice(0, 7)).toEqual([
      `1 c1 eth0         → 2 ${veth.padEnd(16)}→ 3 docker0         → 4 eth0`,
      `eth0 198.18.0.2     ${veth.padEnd(20)}198.18.0.1          eth0 203.0.113.1`,
      '6 pkts              6 pkts              6 pkts              6 pkts',
      'Flows 1 · newest first',
      '› 1 icmp   198.18.0.2 → 203.0.113.2  ✓ ok',
      '  NAT SNAT 198.18.0.2 -> 203.0.113.1 @ docker0→eth0',
      '  3 request / 3 reply packets · reached eth0 · TTL -1 docker0→eth0',
    ]);
    expect(shown.find((line) => line.startsWith('↑↓'))).toBe('↑↓ select  enter timeline  / filter  ? legend  q quit, print report');

    tmux('send-keys', '-t', 'tui80', 'Enter');
    const timeline = (await waitFor('tui80', 'Timeline of flow 1')).split('\n');
    const head = timeline.findIndex((line) => line.startsWith('packet'));
    // A 22-column label, then four 14-column hop columns: 22 + 4 * 14 = 78.
    expect(timeline[head]).toBe(`${'packet'.padEnd(22)}${'1 c1 eth0'.padEnd(14)}${`2 ${veth}`.padEnd(13).slice(0, 13)} ${'3 docker0'.padEnd(14)}4 eth0`);
    const rows = timeline.slice(head + 1, head + 7);
    const labels = rows.map((row) => row.slice(0, 22).trimEnd());
    expect(labels.map((label) => label.replace(/\d\.\d{3}s/, 'T'))).toEqual([
      '→ T echo #0', '← T reply #0', '→ T echo #1', '← T reply #1', '→ T echo #2', '← T reply #2',
    ]);
    expect(labels[0]).toBe('→ 0.000s echo #0');
    // Requests change their source between docker0 and eth0, replies their destination.
    for (const row of rows.filter((_, i) => i % 2 === 0)) expect(row).toMatch(/● \+\d+µs src\*$/);
    for (const row of rows.filter((_, i) => i % 2 === 1)) expect(row).toMatch(/● \+\d+µs dst\* +● \+0$/);

    tmux('send-keys', '-t', 'tui80', 'q');
    const after = await waitFor('tui80', 'EXIT=');
    expect(after).toContain('flow 1: icmp 198.18.0.2 -> 203.0.113.2: ok (3 requests, 3 replies)');
    expect(after).toContain('EXIT=0');
  }, 30_000);

  test('Ctrl-C while a slow replay runs stops it at once and prints the report of what was read', async () => {
    // At a tenth of real time the recording's three pings take about ten seconds to play.
    start('ctrlc', [80, 24], `${REPLAY} --speed 0.1`, { ...TERMINAL_ENV, NO_COLOR: '1' });
    const running = await waitFor('ctrlc', '● running');
    expect(running).not.toContain('■ ended');
    const stoppedAt = Date.now();
    tmux('send-keys', '-t', 'ctrlc', 'C-c');
    const after = await waitFor('ctrlc', 'EXIT=');
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(after).toMatch(/packets per hop: c1 eth0 \d+, /);
    expect(after).toMatch(/EXIT=[01]/);
  }, 30_000);

  test('with colour, the verdict is green; with NO_COLOR there is no colour at all', async () => {
    start('colour', [160, 48], REPLAY, TERMINAL_ENV);
    const coloured = await waitFor('colour', '■ ended', true);
    expect(coloured).toMatch(/\u001B\[32m✓ ok/);
    start('plain', [160, 48], REPLAY, { ...TERMINAL_ENV, NO_COLOR: '1' });
    const plain = await waitFor('plain', '■ ended', true);
    expect(plain).toContain('✓ ok');
    expect(plain).not.toMatch(/\u001B\[[0-9;]*m/);
  }, 30_000);
});

// The live terminal UI shows why, at a real terminal (tmux): once the capture has ended, the
// host is read again and the selected flow's detail holds the same why: line the report
// printed after q has. Forwarding off on the Docker host; the destination is the lab's outside
// host. Root, the Docker lab and tmux.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CLI_PATH } from '../live/support.js';
import { causeLab, labSkipReason, testContainer, type CauseLab } from './support.js';

const skip = labSkipReason() ?? (spawnSync('sh', ['-c', 'command -v tmux']).status === 0 ? undefined : 'needs tmux');
const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ht-why-tui-'));
const socket = path.join(socketDir, 'tmux.sock');
const WHY = 'why: the host does not forward IPv4 packets: net.ipv4.ip_forward = 0';

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function waitFor(text: RegExp, seconds = 40): Promise<string> {
  let shown = '';
  for (let i = 0; i < seconds * 10; i++) {
    shown = tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'whytui');
    if (text.test(shown)) return shown;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${text} never appeared:\n${shown}`);
}

describe.skipIf(skip)(`the live TUI shows causes${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  let l: CauseLab;
  beforeAll(() => {
    buildCli();
    l = causeLab();
    l.restore();
  }, 300_000);
  afterEach(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    l.restore();
  });
  afterAll(() => fs.rmSync(socketDir, { recursive: true, force: true }));

  it("forwarding off: the ended trace's detail names net.ipv4.ip_forward = 0 under the dropped flow, as the printed report does", async () => {
    const ip = testContainer(l, 'whyt');
    l.lab.exec('host', ['sysctl', '-qw', 'net.ipv4.ip_forward=0']);
    // In CI, Ink draws only the last frame: the terminal here is real, so CI is unset (as in test/tui/terminal.test.ts).
    const cmd = `env -u CI -u CONTINUOUS_INTEGRATION DOCKER_HOST=${l.lab.env.dockerHost} ${process.execPath} ${CLI_PATH} ping whyt ${l.lab.env.outsideAddr} --count 2 --interval 0.3 --tui; echo EXIT=$?; sleep 60`;
    tmux('new-session', '-d', '-s', 'whytui', '-x', '100', '-y', '30', cmd);
    const ended = await waitFor(/■ ended[\s\S]*q quit/);
    const lines = ended.split('\n');
    const row = lines.findIndex((line) => line.startsWith(`› 1 icmp   ${ip} → ${l.lab.env.outsideAddr}  ✗ dropped between docker0 and eth0`));
    expect(row, ended).toBeGreaterThan(0);
    expect(lines.slice(row + 1, row + 4)).toEqual(['  NAT none seen on the way out', `  ${WHY}`, '  2 request / 0 reply packets · reached docker0']);
    tmux('send-keys', '-t', 'whytui', 'q');
    const after = await waitFor(/EXIT=\d/);
    expect(after).toContain('  verdict: dropped: requests vanished between docker0 and eth0 (last seen at docker0).\n');
    expect(after).toContain(`\n  ${WHY}\n`);
    expect(after).toContain('EXIT=1');
  });
});

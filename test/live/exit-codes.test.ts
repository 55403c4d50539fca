// Exit codes of live runs as the README's table gives them, for the ways a run ends: Ctrl-C at a
// real terminal through npx (text and JSON), and watch that saw no flow. Root and the Docker lab.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CLI_PATH, docker, labUp, removeContainers, ROOT, runContainer, skipReason, type LabEnv } from './support.js';

const skip = skipReason();
const NAME = `htl-${process.pid}-exit`;
const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ht-exit-'));
const socket = path.join(socketDir, 'tmux.sock');

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function waitFor(name: string, text: RegExp, seconds = 30): Promise<string> {
  for (let i = 0; i < seconds * 10; i++) {
    const shown = tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', name);
    if (text.test(shown)) return shown;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${text} never appeared:\n${tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', name)}`);
}

/** The ping hoptrace runs in this container's namespace (other engineers' labs run pings too). */
async function pingRunning(netns: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const found = fs.readdirSync('/proc').some((pid) => {
      try {
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv.some((a) => a.endsWith('ping')) && argv.includes('500') && fs.readlinkSync(`/proc/${pid}/ns/net`) === netns;
      } catch {
        return false;
      }
    });
    if (found) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the ping never started');
}

describe.skipIf(skip)(`exit codes of live runs${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv | undefined;
  beforeAll(() => {
    buildCli();
    lab = labUp();
    runContainer(lab, NAME);
  });
  afterAll(() => {
    removeContainers(lab, NAME);
    try {
      tmux('kill-server');
    } catch {
      // no server left
    }
    fs.rmSync(socketDir, { recursive: true, force: true });
  });

  for (const mode of ['--text', '--json']) {
    it(`Ctrl-C at a terminal through npx in ${mode} mode exits with the report's code (0), not 130`, async () => {
      const session = `npx${mode.slice(2)}`;
      const command = `npx hoptrace ping ${NAME} ${lab!.outsideAddr} --count 500 --interval 0.1 ${mode} > ${socketDir}/${session}.out; echo EXIT=$?`;
      tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', '-e', `DOCKER_HOST=${lab!.dockerHost}`, '-e', 'NO_COLOR=1', '-c', ROOT, `${command}; sleep 600`);
      // JSON mode says nothing until the end: wait for the ping hoptrace starts once every hop captures.
      const containerPid = docker(lab!, 'inspect', '-f', '{{.State.Pid}}', NAME);
      await pingRunning(fs.readlinkSync(`/proc/${containerPid}/ns/net`));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      tmux('send-keys', '-t', session, 'C-c');
      const shown = await waitFor(session, /EXIT=\d+/);
      expect(shown).toMatch(/EXIT=0\b/);
      const out = fs.readFileSync(`${socketDir}/${session}.out`, 'utf8');
      if (mode === '--json') expect((JSON.parse(out) as { flows: Array<{ verdict: string }> }).flows[0]!.verdict).toBe('ok');
      else expect(out).toMatch(/flow 1: icmp .* -> 203\.0\.113\.2: ok/);
    });
  }

  it('watch that saw no flow of the container exits 1 after SIGINT, saying so', async () => {
    const cli = spawn(process.execPath, [CLI_PATH, 'watch', NAME, 'udp port 9', '--text'], {
      env: { ...process.env, DOCKER_HOST: lab!.dockerHost, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on('close', resolve));
    while (!stderr.includes('capturing on')) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    cli.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stdout).toMatch(/no flow/);
  });

  it('Ctrl-C while Docker does not answer yet ends at once with exit 1 and one line, not death by signal', async () => {
    // A Docker socket that accepts and never answers: discovery waits on it.
    const silent = net.createServer(() => undefined);
    const sock = path.join(socketDir, 'silent-docker.sock');
    await new Promise<void>((resolve) => silent.listen(sock, resolve));
    try {
      const cli = spawn(process.execPath, [CLI_PATH, 'ping', NAME, lab!.outsideAddr, '--text'], {
        env: { ...process.env, DOCKER_HOST: `unix://${sock}`, NO_COLOR: '1' },
      });
      let stderr = '';
      cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<[number | null, string | null]>((resolve) => cli.on('close', (code, signal) => resolve([code, signal])));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      cli.kill('SIGINT');
      const [code, signal] = await exited;
      expect(signal).toBeNull();
      expect(code).toBe(1);
      expect(stderr.trim().split('\n').at(-1)).toBe('hoptrace: interrupted before the capture started: nothing was captured');
    } finally {
      silent.close();
    }
  });
});

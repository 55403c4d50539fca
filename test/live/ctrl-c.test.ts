import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CLI_PATH, hoptrace, jsonReport, labUp, removeContainers, runContainer, skipReason, type LabEnv } from './support.js';

const skip = skipReason();
const NAME = `htl-${process.pid}-sigint`;

/** Every descendant of a process: helpers run under nsenter, in their own process groups. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    let stat = '';
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const walk = (p: number) => (children.get(p) ?? []).forEach((c) => (out.push(c), walk(c)));
  walk(pid);
  return out;
}

describe.skipIf(skip)(`Ctrl-C in the middle of a trace${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-sigint-'));
  beforeAll(() => {
    buildCli();
    lab = labUp();
    runContainer(lab, NAME);
  });
  afterAll(() => {
    removeContainers(lab, NAME);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops every helper and the ping, prints the report and leaves a readable recording', async () => {
    const cli = spawn(process.execPath, [CLI_PATH, 'ping', NAME, lab!.outsideAddr, '--count', '500', '--interval', '0.1', '--text', '--record', dir], {
      env: { ...process.env, DOCKER_HOST: lab!.dockerHost, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on('close', resolve));
    while (!stderr.includes('capturing on')) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const spawned = descendants(cli.pid!);
    // a capture helper per namespace (the container's, the Docker host's) and the ping
    expect(spawned.length).toBeGreaterThanOrEqual(3);
    cli.kill('SIGINT');
    const code = await exited;
    expect(stdout).toMatch(/^path: 1\. htl-\d+-sigint eth0/);
    expect(stdout).toMatch(/flow 1: icmp .* -> 203\.0\.113\.2: ok/);
    expect(code).toBe(0);
    const left = spawned.filter((pid) => existsSync(`/proc/${pid}`));
    expect(left, `left running: ${left.map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8')).join('; ')}`).toEqual([]);
    const replay = jsonReport(hoptrace(['replay', dir, '--json']));
    expect(replay.flows[0]!.verdict).toBe('ok');
    expect(replay.summary.packetsPerHop.every((n) => n >= 10)).toBe(true);
  });
});

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CLI_PATH, labUp, removeContainers, runContainer, skipReason, type LabEnv } from './support.js';

const skip = skipReason();
const NAME = `htl-${process.pid}-kill`;

function parentOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Every live descendant of a process, with its command line. */
function descendants(root: number): Map<number, string> {
  const children = new Map<number, string[]>();
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    const ppid = parentOf(pid);
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out = new Map<number, string>();
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.set(Number(c), alive(Number(c)) ?? '');
      walk(Number(c));
    }
  };
  walk(root);
  return out;
}

/** The command line of a process that is still running (not a zombie), else undefined. */
function alive(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startPing(lab: LabEnv): { cli: ChildProcessWithoutNullStreams; out: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const cli = spawn(process.execPath, [CLI_PATH, 'ping', NAME, lab.outsideAddr, '--count', '1000', '--interval', '0.1', '--text'], {
    env: { ...process.env, DOCKER_HOST: lab.dockerHost, NO_COLOR: '1' },
  });
  const out = { stdout: '', stderr: '' };
  cli.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  cli.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return { cli, out, exited: new Promise((resolve) => cli.on('close', resolve)) };
}

async function whenTracing(out: { stderr: string }): Promise<void> {
  for (let i = 0; i < 300 && !out.stderr.includes('capturing on'); i++) await sleep(100);
  expect(out.stderr).toContain('capturing on');
  await sleep(1500);
}

describe.skipIf(skip)(`nothing of a trace outlives hoptrace${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv | undefined;
  beforeAll(() => {
    buildCli();
    lab = labUp();
    runContainer(lab, NAME);
  });
  afterAll(() => removeContainers(lab, NAME));

  it('leaves no ping and no capture helper running a second after hoptrace is killed with SIGKILL', async () => {
    const { cli, out, exited } = startPing(lab!);
    await whenTracing(out);
    const spawned = descendants(cli.pid!);
    const commands = [...spawned.values()];
    // the 1000-echo ping, and a capture helper per namespace (the container's, the Docker host's)
    expect(commands.filter((c) => / ping .*-c 1000 /.test(` ${c} `))).toHaveLength(1);
    expect(commands.filter((c) => c.includes('helper.js'))).toHaveLength(2);
    cli.kill('SIGKILL');
    await exited;
    await sleep(1000);
    const left = [...spawned.keys()].flatMap((pid) => (alive(pid) === undefined ? [] : [`${pid} ${alive(pid)}`]));
    expect(left).toEqual([]);
  });

  it('says nothing about the ping after the report when stopped with SIGTERM', async () => {
    const { cli, out, exited } = startPing(lab!);
    await whenTracing(out);
    const spawned = descendants(cli.pid!);
    cli.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out.stdout).toMatch(/flow 1: icmp .* -> 203\.0\.113\.2: ok/);
    expect(out.stderr).not.toMatch(/ping ended/);
    expect(out.stderr.trim().split('\n').pop()).toMatch(/^flow 1: icmp .*: ok/);
    const left = [...spawned.keys()].flatMap((pid) => (alive(pid) === undefined ? [] : [`${pid} ${alive(pid)}`]));
    expect(left).toEqual([]);
  });
});

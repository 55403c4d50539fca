import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CLI_PATH, docker, labUp, removeContainers, runContainer, skipReason, type LabEnv } from './support.js';

const skip = skipReason();
const NAME = `htl-${process.pid}-stops`;

describe.skipIf(skip)(`a container that stops in the middle of a trace${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv | undefined;
  beforeAll(() => {
    buildCli();
    lab = labUp();
    runContainer(lab, NAME, '--', 'sh', '-c', `while true; do ping -c 1 -W 1 ${lab.outsideAddr} >/dev/null; sleep 0.2; done`);
  });
  afterAll(() => removeContainers(lab, NAME));

  it('ends the trace by itself with a warning and reports what was captured until then', async () => {
    const cli = spawn(process.execPath, [CLI_PATH, 'watch', NAME, 'icmp', '--json'], { env: { ...process.env, DOCKER_HOST: lab!.dockerHost } });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    docker(lab!, 'stop', '-t', '1', NAME);
    const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
    if (code === 'still running') cli.kill('SIGKILL');
    expect(code).not.toBe('still running');
    expect(stderr).toContain(`hoptrace: warning: container ${NAME} stopped during the trace: the report covers what was captured until then\n`);
    const report = JSON.parse(stdout);
    expect(report.summary.warnings).toContain(`container ${NAME} stopped during the trace: the report covers what was captured until then`);
    expect(report.flows.length).toBeGreaterThan(0);
    expect(report.summary.packetsPerHop[0]).toBeGreaterThan(0);
    // Kernel counts only where final: the container's capture (and the host's, when the veth's
    // vanishing ended its helper) sent none, and a count from before the end would not add up.
    expect(report.hops[0]!.kernel).toBeUndefined();
    report.hops.forEach((hop: { kernel?: { received: number; dropped: number } }, i: number) => {
      if (hop.kernel) expect(hop.kernel.received - hop.kernel.dropped).toBe(report.summary.packetsPerHop[i]);
    });
  });
});

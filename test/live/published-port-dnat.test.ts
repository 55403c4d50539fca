import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CLI_PATH, inNetns, labUp, removeContainers, runServer, skipReason, type LabEnv, withoutCauses } from './support.js';

const skip = skipReason();
const NAME = `htl-${process.pid}-web`;
const PORT = 18080;

describe.skipIf(skip)(`hoptrace watch on a published port${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv | undefined;
  let ip = '';
  beforeAll(() => {
    buildCli();
    lab = labUp();
    ip = runServer(lab, NAME, '-p', `${PORT}:80`);
  });
  afterAll(() => removeContainers(lab, NAME));

  it('shows the DNAT of the request from the uplink to the container, and ok', async () => {
    const cli = spawn(process.execPath, [CLI_PATH, 'watch', NAME, '--json'], { env: { ...process.env, DOCKER_HOST: lab!.dockerHost } });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const page = inNetns(lab!.nsOutside, 'busybox', 'wget', '-q', '-O-', `http://${lab!.uplinkAddr}:${PORT}/`);
    expect(page).toContain('hello from hoptrace-busybox');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    cli.kill('SIGINT');
    const code = await new Promise((resolve) => cli.on('close', resolve));
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    const web = report.flows.filter((f: { proto: string }) => f.proto === 'tcp');
    expect(web).toHaveLength(1);
    expect(web[0]).toMatchObject({ initiator: expect.stringMatching(new RegExp(`^${lab!.outsideAddr}:\\d+$`)), responder: `${lab!.uplinkAddr}:${PORT}`, verdict: 'ok' });
    expect(withoutCauses(web[0].rewrites)).toContainEqual({ between: ['eth0', 'docker0'], direction: 'request', field: 'dst', from: lab!.uplinkAddr, to: ip });
    expect(withoutCauses(web[0].rewrites)).toContainEqual({ between: ['eth0', 'docker0'], direction: 'request', field: 'dport', from: String(PORT), to: '80' });
    expect(withoutCauses(web[0].rewrites)).toContainEqual({ between: ['docker0', 'eth0'], direction: 'reply', field: 'src', from: ip, to: lab!.uplinkAddr });
  });
});

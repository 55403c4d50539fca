import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, hoptrace, inNetns, jsonReport, labUp, removeContainers, runContainer, skipReason, type LabEnv } from './support.js';

const skip = skipReason();
const NAME = `htl-${process.pid}-nofwd`;

describe.skipIf(skip)(`hoptrace ping with forwarding off on the Docker host${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv | undefined;
  beforeAll(() => {
    buildCli();
    lab = labUp();
    runContainer(lab, NAME);
    inNetns(lab.nsHost, 'sysctl', '-qw', 'net.ipv4.ip_forward=0');
  });
  afterAll(() => {
    if (lab) inNetns(lab.nsHost, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    removeContainers(lab, NAME);
  });

  it('reports dropped between docker0 and the uplink, exit 1', () => {
    const result = hoptrace(['ping', NAME, lab!.outsideAddr, '--count', '2', '--interval', '0.2', '--json'], { DOCKER_HOST: lab!.dockerHost });
    const report = jsonReport(result);
    expect(result.status, result.stderr).toBe(1);
    expect(report.flows).toHaveLength(1);
    expect(report.flows[0]).toMatchObject({ verdict: 'dropped', reached: 'docker0', dropBetween: ['docker0', 'eth0'] });
    expect(report.summary.packetsPerHop).toEqual([2, 2, 2, 0]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, hoptrace, jsonReport, labUp, removeContainers, runContainer, runServer, skipReason, type LabEnv } from './support.js';

const skip = skipReason();
const CLIENT = `htl-${process.pid}-client`;
const SERVER = `htl-${process.pid}-server`;

describe.skipIf(skip)(`hoptrace tcp between two containers on one bridge${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv | undefined;
  let clientIp = '';
  let serverIp = '';
  beforeAll(() => {
    buildCli();
    lab = labUp();
    clientIp = runContainer(lab, CLIENT);
    serverIp = runServer(lab, SERVER);
  });
  afterAll(() => removeContainers(lab, CLIENT, SERVER));

  it('follows both veths across docker0 with no NAT and reports ok', () => {
    const result = hoptrace(['tcp', CLIENT, `${serverIp}:80`, '--json'], { DOCKER_HOST: lab!.dockerHost });
    const report = jsonReport(result);
    expect(result.status, result.stderr).toBe(0);
    expect(report.hops.map((h) => h.role)).toEqual(['container', 'veth', 'bridge', 'veth', 'container']);
    expect(report.hops[0]!.name).toBe(`${CLIENT} eth0`);
    expect(report.hops[4]!.name).toBe(`${SERVER} eth0`);
    expect(report.flows).toHaveLength(1);
    expect(report.flows[0]).toMatchObject({ proto: 'tcp', responder: `${serverIp}:80`, verdict: 'ok', rewrites: [], dropBetween: null });
    expect(report.flows[0]!.initiator).toMatch(new RegExp(`^${clientIp.replace(/\./g, '\\.')}:\\d+$`));
    expect(result.stderr).toContain(`TCP connect to ${serverIp}:80: connected`);
  });
});

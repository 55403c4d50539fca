// Network modes host and none on a real Docker engine (root; the lab of $HT_LAB_ID).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, docker, hoptrace, jsonReport, labUp, removeContainers, runContainer, skipReason, type LabEnv } from './support.js';

const skip = skipReason();
const NONE = `htl-${process.pid}-none`;
const HOSTNET = `htl-${process.pid}-hostnet`;

describe.skipIf(skip)(`network modes host and none${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv;
  let [noneId, hostId] = ['', ''];
  beforeAll(() => {
    buildCli();
    lab = labUp();
    runContainer(lab, NONE, '--network', 'none');
    runContainer(lab, HOSTNET, '--network', 'host');
    noneId = docker(lab, 'inspect', '-f', '{{.Id}}', NONE).slice(0, 12);
    hostId = docker(lab, 'inspect', '-f', '{{.Id}}', HOSTNET).slice(0, 12);
  });
  afterAll(() => removeContainers(lab, NONE, HOSTNET));

  it('none: path says nothing can leave; a trace is refused before capturing, exit 1, naming the fix', () => {
    const path = hoptrace(['path', NONE], { DOCKER_HOST: lab.dockerHost });
    expect(path.status).toBe(0);
    expect(path.stdout).toContain('has only a loopback interface (network mode none): nothing can leave it');
    const ping = hoptrace(['ping', NONE, lab.outsideAddr], { DOCKER_HOST: lab.dockerHost });
    expect(ping.status).toBe(1);
    expect(ping.stdout).toBe('');
    expect(ping.stderr).toBe(
      `hoptrace: container ${NONE} (${noneId}) has network mode none: it has only a loopback interface, so no packet can leave it` +
        ` (connect it to a network: docker network disconnect none ${NONE} && docker network connect bridge ${NONE} (or run it again with --network bridge))\n`,
    );
  });

  it('none: the fix named works', () => {
    const other = `${NONE}-fixed`;
    try {
      runContainer(lab, other, '--network', 'none');
      docker(lab, 'network', 'disconnect', 'none', other);
      docker(lab, 'network', 'connect', 'bridge', other);
      expect(docker(lab, 'exec', other, 'ping', '-c', '1', '-W', '2', lab.outsideAddr)).toContain('1 packets received');
    } finally {
      removeContainers(lab, other);
    }
  });

  it('host: one hop, the uplink, no NAT; the ping is traced there, ok, filtered to the flow', () => {
    const path = JSON.parse(hoptrace(['path', HOSTNET, lab.outsideAddr, '--json'], { DOCKER_HOST: lab.dockerHost }).stdout);
    expect(path.mode).toBe('host');
    expect(path.hops).toEqual([{ name: 'eth0', role: 'host', netns: 'host', iface: 'eth0', addrs: [lab.uplinkAddr], mtu: 1500 }]);
    expect(path.natRules).toEqual([]);
    expect(path.notes[0]).toBe(`container ${HOSTNET} (${hostId}) uses the host's network stack (network mode host): the path has one hop, eth0, and no NAT (no veth, no bridge)`);
    const result = hoptrace(['ping', HOSTNET, lab.outsideAddr, '--count', '3', '--interval', '0.2', '--json'], { DOCKER_HOST: lab.dockerHost });
    const report = jsonReport(result);
    expect(result.status, result.stderr).toBe(0);
    expect(report.flows).toHaveLength(1);
    expect(report.flows[0]).toMatchObject({ proto: 'icmp', initiator: lab.uplinkAddr, responder: lab.outsideAddr, verdict: 'ok', rewrites: [], findings: [] });
    expect(report.summary.packetsPerHop).toEqual([6]);
  });

  it('host: a TCP flow is filtered to its addresses and port: the host\'s other traffic stays out', () => {
    const verbose = hoptrace(['tcp', HOSTNET, `${lab.outsideAddr}:9`, '--text', '-v'], { DOCKER_HOST: lab.dockerHost });
    expect(verbose.stderr).toContain(`capture filter at eth0: host ${lab.uplinkAddr} and ((tcp and host ${lab.outsideAddr} and port 9) or (icmp or (icmp6 and icmp6[0] < 130)))`);
    // nothing listens on port 9: refused with a reset, on the one hop
    expect(verbose.stdout).toMatch(/flow 1: tcp 203\.0\.113\.1:\d+ -> 203\.0\.113\.2:9: rejected/);
  });

  it('host: a local destination is traced on lo', () => {
    const report = jsonReport(hoptrace(['ping', HOSTNET, lab.uplinkAddr, '--count', '2', '--interval', '0.2', '--json'], { DOCKER_HOST: lab.dockerHost }));
    expect(report.hops.map((h) => `${h.role} ${h.name}`)).toEqual(['host lo']);
    expect(report.flows[0]).toMatchObject({ initiator: lab.uplinkAddr, responder: lab.uplinkAddr, verdict: 'ok', rewrites: [] });
    expect(report.summary.packetsPerHop).toEqual([4]);
  });
});

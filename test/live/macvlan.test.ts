// macvlan on a real Docker engine (root; the lab of $HT_LAB_ID). The parent is the Docker
// host's eth0, on the outside host's segment (203.0.113.0/24): children get 203.0.113.128/28.
// 802.1Q trunks and ipvlan run where the kernel has them and skip with that reason here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, docker, hoptrace, inNetns, jsonReport, labUp, removeContainers, runContainer, skipReason, type LabEnv } from './support.js';
import { kernelLacks, removeNetworks } from './modes-support.js';

const skip = skipReason() ?? kernelLacks('macvlan');
const tag = `htl-${process.pid}`;
const MACVLAN = `${tag}-mv`;
const [M1, M2, B1] = [`${tag}-m1`, `${tag}-m2`, `${tag}-b1`];
const RANGE = '203.0.113.128/28';

interface PathJson {
  mode: string;
  hops: { name: string; role: string }[];
  facts: Record<string, unknown>[];
  natRules: string[];
}
const pathOf = (lab: LabEnv, ...args: string[]): PathJson => {
  const result = hoptrace(['path', ...args, '--json'], { DOCKER_HOST: lab.dockerHost });
  if (result.status !== 0) throw new Error(`hoptrace path ${args.join(' ')}: exit ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as PathJson;
};
const isolationNote = (peer: string, child: string, addr: string): string =>
  `${peer} and ${child} (${addr}), a macvlan child of eth0, cannot reach each other: the kernel does not pass traffic between a macvlan parent ` +
  `and its own children. The usual fix: give the host a macvlan interface of its own on eth0 and route the children through it ` +
  `(ip link add macvlan-host link eth0 type macvlan mode bridge; ip addr add <a free address>/32 dev macvlan-host; ip link set macvlan-host up; ` +
  `ip route add ${RANGE} dev macvlan-host)`;

describe.skipIf(skip)(`macvlan (bridge mode)${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv;
  let [m1, m2] = ['', ''];
  beforeAll(() => {
    buildCli();
    lab = labUp();
    removeContainers(lab, M1, M2, B1);
    removeNetworks(lab, MACVLAN);
    docker(lab, 'network', 'create', '-d', 'macvlan', '-o', 'parent=eth0', '--subnet', '203.0.113.0/24', '--gateway', lab.outsideAddr, '--ip-range', RANGE, MACVLAN);
    m1 = runContainer(lab, M1, '--network', MACVLAN);
    m2 = runContainer(lab, M2, '--network', MACVLAN);
    runContainer(lab, B1);
  });
  afterAll(() => {
    removeContainers(lab, M1, M2, B1);
    removeNetworks(lab, MACVLAN);
  });

  it('child to the outside host on the parent segment: the child and its parent eth0, ok, no rewrite', () => {
    const result = hoptrace(['ping', M1, lab.outsideAddr, '--count', '3', '--interval', '0.2', '--json'], { DOCKER_HOST: lab.dockerHost });
    const report = jsonReport(result);
    expect(result.status, result.stderr).toBe(0);
    expect(report.hops.map((h) => `${h.role} ${h.name}`)).toEqual([`container ${M1} eth0`, 'host eth0']);
    expect(report.flows).toHaveLength(1);
    expect(report.flows[0]).toMatchObject({ proto: 'icmp', initiator: m1, responder: lab.outsideAddr, verdict: 'ok', rewrites: [], findings: [] });
    expect(report.summary.packetsPerHop).toEqual([6, 6]);
  });

  it('two children of the same parent: both children captured, not the parent (the driver switches between them), ok', () => {
    expect(pathOf(lab, M1, m2)).toMatchObject({ mode: 'macvlan', facts: [], hops: [{ name: `${M1} eth0` }, { name: `${M2} eth0` }] });
    const result = hoptrace(['ping', M1, m2, '--count', '3', '--interval', '0.2', '--json'], { DOCKER_HOST: lab.dockerHost });
    const report = jsonReport(result);
    expect(result.status, result.stderr).toBe(0);
    expect(report.flows[0]).toMatchObject({ initiator: m1, responder: m2, verdict: 'ok', rewrites: [], findings: [] });
    expect(report.summary.packetsPerHop).toEqual([6, 6]);
  });

  it('a bridge container to a macvlan child: said plainly, with the usual fix, before the capture; the ping fails', () => {
    expect(pathOf(lab, B1, m1).facts).toEqual([
      { kind: 'parent-child-isolation', driver: 'macvlan', parent: 'eth0', child: { name: M1, addr: m1 }, peer: 'container', from: 'peer', childRange: RANGE },
    ]);
    const result = hoptrace(['ping', B1, m1, '--count', '2', '--interval', '0.2', '--text'], { DOCKER_HOST: lab.dockerHost });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`hoptrace: note: ${isolationNote('a container on this host (its packets leave by the host)', M1, m1)}\n`);
  });

  it('a host-network container to a macvlan child: the same fact, the host as the peer', () => {
    const H = `${tag}-h`;
    try {
      runContainer(lab, H, '--network', 'host');
      expect(pathOf(lab, H, m1).facts).toEqual([
        { kind: 'parent-child-isolation', driver: 'macvlan', parent: 'eth0', child: { name: M1, addr: m1 }, peer: 'host', from: 'peer', childRange: RANGE },
      ]);
      const result = hoptrace(['ping', H, m1, '--count', '1', '--text'], { DOCKER_HOST: lab.dockerHost });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`hoptrace: note: ${isolationNote('the host', M1, m1)}\n`);
    } finally {
      removeContainers(lab, H);
    }
  });

  it('a child to its host: the same fact, from the child; not said for a destination that is no child or host', () => {
    expect(pathOf(lab, M1, lab.uplinkAddr).facts).toEqual([
      { kind: 'parent-child-isolation', driver: 'macvlan', parent: 'eth0', child: { name: M1, addr: m1 }, peer: 'host', from: 'child', childRange: RANGE },
    ]);
    const text = hoptrace(['path', M1, lab.uplinkAddr], { DOCKER_HOST: lab.dockerHost }).stdout;
    expect(text).toContain(`note: ${isolationNote('the host', M1, m1)}\n`);
    expect(pathOf(lab, B1, lab.outsideAddr).facts).toEqual([]);
    expect(pathOf(lab, M1, lab.outsideAddr).facts).toEqual([]);
  });

  it('the fix as worded works: with a macvlan interface for the host and the route, the bridge container reaches the child', () => {
    const sh = (cmd: string): string => inNetns(lab.nsHost, 'sh', '-c', cmd);
    try {
      sh(`ip link add macvlan-host link eth0 type macvlan mode bridge; ip addr add 203.0.113.100/32 dev macvlan-host; ip link set macvlan-host up; ip route add ${RANGE} dev macvlan-host`);
      expect(docker(lab, 'exec', B1, 'ping', '-c', '2', '-W', '2', m1)).toContain('2 packets transmitted, 2 packets received');
    } finally {
      sh('ip link del macvlan-host 2>/dev/null || true');
    }
  });
});

const skipVlan = skip ?? kernelLacks('vlan');
describe.skipIf(skipVlan)(`macvlan on an 802.1Q trunk (-o parent=eth0.10)${skipVlan ? ` (skipped: ${skipVlan})` : ''}`, () => {
  let lab: LabEnv;
  const NET = `${tag}-mv10`;
  const C = `${tag}-v10`;
  beforeAll(() => {
    buildCli();
    lab = labUp();
    inNetns(lab.nsOutside, 'sh', '-c', 'ip link add link eth0 name eth0.10 type vlan id 10 && ip addr add 198.18.10.1/24 dev eth0.10 && ip link set eth0.10 up');
    docker(lab, 'network', 'create', '-d', 'macvlan', '-o', 'parent=eth0.10', '--subnet', '198.18.10.0/24', '--gateway', '198.18.10.1', NET);
    runContainer(lab, C, '--network', NET);
  });
  afterAll(() => {
    removeContainers(lab, C);
    removeNetworks(lab, NET);
    inNetns(lab.nsOutside, 'sh', '-c', 'ip link del eth0.10 2>/dev/null || true');
  });

  it('child, the VLAN parent eth0.10 and the trunk eth0: the tag on the trunk is expected, not a rewrite', () => {
    const path = pathOf(lab, C, '198.18.10.1');
    expect(path.hops.map((h) => `${h.role} ${h.name}`)).toEqual([`container ${C} eth0`, 'host eth0.10', 'host eth0']);
    expect(path.facts).toEqual([{ kind: 'vlan-tag-expected', vlanId: 10, trunk: 'eth0', parent: 'eth0.10' }]);
    const result = hoptrace(['ping', C, '198.18.10.1', '--count', '3', '--interval', '0.2', '--json'], { DOCKER_HOST: lab.dockerHost });
    const report = jsonReport(result);
    expect(result.status, result.stderr).toBe(0);
    expect(report.flows[0]).toMatchObject({ verdict: 'ok', rewrites: [], findings: [] });
    expect(report.summary.packetsPerHop).toEqual([6, 6, 6]);
  });
});

const skipIpvlan = skip ?? kernelLacks('ipvlan');
describe.skipIf(skipIpvlan)(`ipvlan L2 and L3${skipIpvlan ? ` (skipped: ${skipIpvlan})` : ''}`, () => {
  let lab: LabEnv;
  const names = { l2: `${tag}-ipl2`, l3: `${tag}-ipl3` };
  beforeAll(() => {
    buildCli();
    lab = labUp();
  });
  afterAll(() => {
    removeContainers(lab, `${names.l2}-c`, `${names.l3}-c`);
    removeNetworks(lab, names.l2, names.l3);
  });

  it('ipvlan L2: the child and its parent eth0, ok, no rewrite', () => {
    docker(lab, 'network', 'create', '-d', 'ipvlan', '-o', 'parent=eth0', '-o', 'ipvlan_mode=l2', '--subnet', '203.0.113.0/24', '--gateway', lab.outsideAddr, '--ip-range', '203.0.113.144/28', names.l2);
    runContainer(lab, `${names.l2}-c`, '--network', names.l2);
    const path = pathOf(lab, `${names.l2}-c`, lab.outsideAddr);
    expect(path.mode).toBe('ipvlan');
    expect(path.hops.map((h) => `${h.role} ${h.name}`)).toEqual([`container ${names.l2}-c eth0`, 'host eth0']);
    const report = jsonReport(hoptrace(['ping', `${names.l2}-c`, lab.outsideAddr, '--count', '3', '--interval', '0.2', '--json'], { DOCKER_HOST: lab.dockerHost }));
    expect(report.flows[0]).toMatchObject({ verdict: 'ok', rewrites: [] });
  });

  it('ipvlan L3: the host routes; the child and the parent are captured', () => {
    docker(lab, 'network', 'create', '-d', 'ipvlan', '-o', 'parent=eth0', '-o', 'ipvlan_mode=l3', '--subnet', '198.18.12.0/24', names.l3);
    runContainer(lab, `${names.l3}-c`, '--network', names.l3);
    const path = pathOf(lab, `${names.l3}-c`, lab.outsideAddr);
    expect(path.mode).toBe('ipvlan');
    expect(path.hops.map((h) => h.role)).toEqual(['container', 'host']);
  });
});

// IPv6 and dual stack on a real Docker engine (root; the lab of $HT_LAB_ID, engine $HT_ENGINE).
// Two --ipv6 networks: the lab's "global" 2001:db8:1::/64, which the outside host routes back
// (no NAT66: gateway_mode_ipv6=routed on 28, no ip6tables on 20.10), and the ULA
// fd00:18:1::/64, which only NAT66 gets out (28 has it by default, 20.10 has no ip6tables).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labEngine } from '../lab/lab.js';
import { buildCli, CLI_PATH, docker, hoptrace, inNetns, jsonReport, labUp, removeContainers, runContainer, skipReason, type LabEnv } from './support.js';
import { backgroundIn, removeNetworks, waitForTcpListen } from './modes-support.js';

const skip = skipReason();
const tag = `htl-${process.pid}`;
const [GLOBAL_NET, ULA_NET] = [`${tag}-v6g`, `${tag}-v6u`];
const [CG, CU] = [`${tag}-cg`, `${tag}-cu`];
const engine = labEngine();

describe.skipIf(skip)(`IPv6 and dual stack on engine ${engine}${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv;
  let stopServer = (): void => undefined;
  const www = mkdtempSync(join(tmpdir(), 'hoptrace-www-'));
  const addr6 = (name: string): string => docker(lab, 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.GlobalIPv6Address}}{{end}}', name);
  beforeAll(() => {
    buildCli();
    lab = labUp();
    removeContainers(lab, CG, CU);
    removeNetworks(lab, GLOBAL_NET, ULA_NET);
    const routed = engine === '28' ? ['-o', 'com.docker.network.bridge.gateway_mode_ipv6=routed'] : [];
    docker(lab, 'network', 'create', '--ipv6', '--subnet', '198.18.6.0/24', '--subnet', lab.v6GlobalSubnet, ...routed, GLOBAL_NET);
    docker(lab, 'network', 'create', '--ipv6', '--subnet', '198.18.7.0/24', '--subnet', lab.v6UlaSubnet, ULA_NET);
    runContainer(lab, CG, '--network', GLOBAL_NET);
    runContainer(lab, CU, '--network', ULA_NET);
    // The outside namespace shares this machine's file system: serve an empty directory of our own.
    stopServer = backgroundIn(`/var/run/netns/${lab.nsOutside}`, ['busybox', 'httpd', '-f', '-p', '[::]:80', '-h', www]);
    waitForTcpListen(`/var/run/netns/${lab.nsOutside}`, 80);
  });
  afterAll(() => {
    stopServer();
    rmSync(www, { recursive: true, force: true });
    removeContainers(lab, CG, CU);
    removeNetworks(lab, GLOBAL_NET, ULA_NET);
  });

  it('ping to an IPv6 destination from a globally routed subnet: seen on every hop, ok, no rewrite and no no-snat', () => {
    const result = hoptrace(['ping', CG, lab.outsideAddr6, '--count', '3', '--interval', '0.2', '--json'], { DOCKER_HOST: lab.dockerHost });
    const report = jsonReport(result);
    expect(result.status, result.stderr).toBe(0);
    expect(report.hops.map((h) => h.role)).toEqual(['container', 'veth', 'bridge', 'uplink']);
    expect(report.flows).toHaveLength(1);
    expect(report.flows[0]).toMatchObject({ proto: 'icmpv6', initiator: addr6(CG), responder: lab.outsideAddr6, verdict: 'ok', rewrites: [], findings: [] });
    expect(report.summary.packetsPerHop).toEqual([6, 6, 6, 6]);
  });

  it('container to container over IPv6 on one bridge: both veths and both containers, and no neighbour discovery captured', () => {
    const other = `${tag}-cg2`;
    try {
      runContainer(lab, other, '--network', GLOBAL_NET);
      const result = hoptrace(['ping', CG, addr6(other), '--count', '2', '--interval', '0.2', '--json'], { DOCKER_HOST: lab.dockerHost });
      const report = jsonReport(result);
      expect(result.status, result.stderr).toBe(0);
      expect(report.hops.map((h) => h.role)).toEqual(['container', 'veth', 'bridge', 'veth', 'container']);
      expect(report.hops[4]!.name).toBe(`${other} eth0`);
      expect(report.flows).toHaveLength(1);
      expect(report.flows[0]).toMatchObject({ proto: 'icmpv6', initiator: addr6(CG), responder: addr6(other), verdict: 'ok', rewrites: [], findings: [] });
      // 2 echoes and 2 replies at every hop: the neighbour solicitations of a first contact are left out
      expect(report.summary.packetsPerHop).toEqual([4, 4, 4, 4, 4]);
    } finally {
      removeContainers(lab, other);
    }
  });

  it.runIf(engine === '28')('engine 28: NAT66 MASQUERADE of a ULA subnet is shown as SNAT, as for IPv4', () => {
    const result = hoptrace(['ping', CU, lab.outsideAddr6, '--count', '3', '--interval', '0.2', '--json'], { DOCKER_HOST: lab.dockerHost });
    const report = jsonReport(result);
    expect(result.status, result.stderr).toBe(0);
    const bridge = report.hops[2]!.name;
    const flow = report.flows[0]!;
    expect(flow).toMatchObject({ proto: 'icmpv6', initiator: addr6(CU), verdict: 'ok', findings: [] });
    expect(flow.rewrites).toContainEqual({ between: [bridge, 'eth0'], direction: 'request', field: 'src', from: addr6(CU), to: lab.uplinkAddr6 });
    expect(flow.rewrites).toContainEqual({ between: ['eth0', bridge], direction: 'reply', field: 'dst', from: lab.uplinkAddr6, to: addr6(CU) });
  });

  it.runIf(engine === '20.10')('engine 20.10 (no ip6tables): a ULA source leaves un-NATed, the no-snat finding, no reply', () => {
    const result = hoptrace(['ping', CU, lab.outsideAddr6, '--count', '2', '--interval', '0.2', '--json'], { DOCKER_HOST: lab.dockerHost });
    const report = jsonReport(result);
    expect(result.status).toBe(1);
    const flow = report.flows[0]!;
    expect(flow).toMatchObject({ proto: 'icmpv6', initiator: addr6(CU), rewrites: [] });
    expect(flow.findings.map((f) => f.code)).toContain('no-snat');
  });

  it('tcp to [2001:db8::2]:80 follows the handshake across every hop', () => {
    const from = engine === '28' ? CU : CG;
    const result = hoptrace(['tcp', from, `[${lab.outsideAddr6}]:80`, '--json'], { DOCKER_HOST: lab.dockerHost });
    const report = jsonReport(result);
    expect(result.status, result.stderr).toBe(0);
    expect(report.flows).toHaveLength(1);
    expect(report.flows[0]).toMatchObject({ proto: 'tcp', initiator: expect.stringMatching(/^\[[0-9a-f:]+\]:\d+$/), responder: `[${lab.outsideAddr6}]:80`, verdict: 'ok' });
    expect(result.stderr).toContain(`TCP connect to [${lab.outsideAddr6}]:80: connected`);
  });

  it('udp to a closed IPv6 port: the ICMPv6 port unreachable is kept on every hop and names the rejection', () => {
    const result = hoptrace(['udp', CG, `[${lab.outsideAddr6}]:9`, '--json'], { DOCKER_HOST: lab.dockerHost });
    const report = jsonReport(result);
    expect(result.status).toBe(1);
    expect(report.flows[0]).toMatchObject({ proto: 'udp', verdict: 'rejected', reached: 'eth0' });
    // The outside host's own answer: it crossed the uplink, so it came from beyond it.
    expect(report.flows[0]!.findings).toContainEqual({
      code: 'rejected', count: 1, side: 'beyond', beyond: 'eth0',
      answer: { kind: 'icmp-error', v6: true, type: 1, code: 4, from: lab.outsideAddr6 },
      message: `ICMPv6 port unreachable from ${lab.outsideAddr6}, beyond eth0, answered the request`,
    });
    // the error was captured at every hop, not only the uplink
    expect(report.summary.packetsPerHop).toEqual([2, 2, 2, 2]);
  });

  it('an IPv6 packet too big for the uplink: the ICMPv6 packet-too-big error is captured (it only crosses the inner hops) and names who sent it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoptrace-ptb-'));
    const mtu = (value: number): void => {
      for (const ns of [lab.nsHost, lab.nsOutside]) inNetns(ns, 'ip', 'link', 'set', 'eth0', 'mtu', String(value));
    };
    try {
      mtu(1280);
      const report = await watchWhile(lab, CG, dir, () => {
        try {
          docker(lab, 'exec', CG, 'ping', '-c', '1', '-W', '2', '-s', '1400', lab.outsideAddr6);
        } catch {
          // the first echo is answered by "packet too big", not by the outside host
        }
      }, 1); // exit 1: a flow is not ok
      const flow = report.flows.find((f) => f.proto === 'icmpv6')!;
      expect(flow).toMatchObject({ initiator: addr6(CG), responder: lab.outsideAddr6, verdict: 'rejected' });
      // the Docker host sends it from the bridge's address, the container's gateway
      // (made on the path, between the bridge and the uplink, with the MTU it carries)
      const bridge = report.hops.find((h) => h.role === 'bridge')!.name;
      expect(flow.findings).toContainEqual({
        code: 'rejected', count: 1, side: 'path', between: [bridge, 'eth0'], netns: 'host',
        answer: { kind: 'icmp-error', v6: true, type: 2, code: 0, mtu: 1280, from: '2001:db8:1::1' },
        message: `ICMPv6 packet too big (MTU 1280) made by the Docker host, between ${bridge} and eth0; the error carries 2001:db8:1::1's address but never crossed eth0`,
      });
    } finally {
      mtu(1500);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dual stack watch: one trace holds the IPv4 and the IPv6 flows of the same container, NDP left out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoptrace-dual-'));
    try {
      const replay = await watchWhile(lab, CG, dir, () => {
        docker(lab, 'exec', CG, 'ping', '-c', '2', '-W', '2', lab.outsideAddr);
        docker(lab, 'exec', CG, 'ping', '-c', '2', '-W', '2', lab.outsideAddr6);
      });
      const flows = replay.flows.map((f) => `${f.proto} ${f.initiator} -> ${f.responder}: ${f.verdict}`);
      expect(flows).toContain(`icmp 198.18.6.2 -> ${lab.outsideAddr}: ok`);
      expect(flows).toContain(`icmpv6 ${addr6(CG)} -> ${lab.outsideAddr6}: ok`);
      expect(replay.flows.filter((f) => f.proto === 'icmpv6')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** `hoptrace watch NAME --record dir` while `act` makes traffic, stopped by Ctrl-C (exit `exitCode`); the recording replayed. */
async function watchWhile(lab: LabEnv, name: string, dir: string, act: () => void, exitCode = 0): Promise<ReturnType<typeof jsonReport>> {
  const cli = spawn(process.execPath, [CLI_PATH, 'watch', name, '--text', '--record', dir], { env: { ...process.env, DOCKER_HOST: lab.dockerHost, NO_COLOR: '1' } });
  let stderr = '';
  cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => cli.on('close', resolve));
  try {
    while (!stderr.includes('capturing on')) {
      if (cli.exitCode !== null) throw new Error(`watch ended before capturing: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    act();
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    cli.kill('SIGINT');
  }
  expect(await exited, stderr).toBe(exitCode);
  return jsonReport(hoptrace(['replay', dir, '--json']));
}

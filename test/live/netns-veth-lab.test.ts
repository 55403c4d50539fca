import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, hoptrace, jsonReport, skipReason, withoutCauses } from './support.js';

const skip = skipReason(false);
const id = String(process.pid % 100000);
const C = `ht-lv${id}-c`;
const H = `ht-lv${id}-h`;
const O = `ht-lv${id}-o`;

function sh(script: string): void {
  execFileSync('sh', ['-ec', script], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 30_000 });
}

/** A container-like namespace on a bridge, MASQUERADE at an uplink, an outside host: no Docker. */
function up(): void {
  sh(`
    for n in ${C} ${H} ${O}; do ip netns add $n; ip -n $n link set lo up; done
    for n in ${C} ${H} ${O}; do nsenter --net=/var/run/netns/$n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
    ip -n ${H} link add br0 type bridge
    ip -n ${H} addr add 198.18.9.1/24 dev br0
    ip -n ${H} link set br0 up
    ip -n ${H} link add vh0 type veth peer name eth0 netns ${C}
    ip -n ${H} link set vh0 master br0 up
    ip -n ${C} addr add 198.18.9.2/24 dev eth0
    ip -n ${C} link set eth0 up
    ip -n ${C} route add default via 198.18.9.1
    ip -n ${H} link add eth0 type veth peer name eth0 netns ${O}
    ip -n ${H} addr add 203.0.113.65/26 dev eth0
    ip -n ${H} link set eth0 up
    ip -n ${O} addr add 203.0.113.66/26 dev eth0
    ip -n ${O} link set eth0 up
    nsenter --net=/var/run/netns/${H} sysctl -qw net.ipv4.ip_forward=1
    nsenter --net=/var/run/netns/${H} iptables -t nat -A POSTROUTING -s 198.18.9.0/24 ! -o br0 -j MASQUERADE
  `);
}

function down(): void {
  sh(`for n in ${C} ${H} ${O}; do ip netns del $n 2>/dev/null || true; done`);
}

describe.skipIf(skip)(`hoptrace ping --netns on a plain veth/bridge lab without Docker${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(() => {
    buildCli();
    down();
    up();
  });
  afterAll(down);

  it('prints the path it discovered, with the MASQUERADE rule', () => {
    const result = hoptrace(['path', '--netns', C, '--host-netns', H, '203.0.113.66']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`path of network namespace ${C} to 203.0.113.66 (veth into a bridge):`);
    expect(result.stdout).toMatch(new RegExp(`1\\. ${C} eth0 +container netns netns:${C}, 198\\.18\\.9\\.2, mtu 1500`));
    expect(result.stdout).toMatch(/2\. vh0 +veth +netns host, no address, mtu 1500/);
    expect(result.stdout).toMatch(/3\. br0 +bridge +netns host, 198\.18\.9\.1, mtu 1500/);
    expect(result.stdout).toMatch(/4\. eth0 +uplink +netns host, 203\.0\.113\.65, mtu 1500/);
    expect(result.stdout).toContain('-A POSTROUTING -s 198.18.9.0/24 ! -o br0 -j MASQUERADE');
  });

  it('traces a ping across all four hops with the SNAT between br0 and eth0', () => {
    const result = hoptrace(['ping', '--netns', C, '--host-netns', H, '203.0.113.66', '--count', '2', '--interval', '0.2', '--json']);
    const report = jsonReport(result);
    expect(result.status, result.stderr).toBe(0);
    expect(report.hops.map((h) => h.name)).toEqual([`${C} eth0`, 'vh0', 'br0', 'eth0']);
    expect(report.flows).toHaveLength(1);
    expect(report.flows[0]).toMatchObject({ initiator: '198.18.9.2', responder: '203.0.113.66', verdict: 'ok' });
    expect(withoutCauses(report.flows[0]!.rewrites)).toContainEqual({ between: ['br0', 'eth0'], direction: 'request', field: 'src', from: '198.18.9.2', to: '203.0.113.65' });
  });
});

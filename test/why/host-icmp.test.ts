// An ICMP error the Docker host made itself names its reason; one it did not make, or one a
// REJECT rule can send, is not given that reason. Pure: reports built here, snapshots from
// the lab's captured outputs (data.ts) with the route lookups and MTUs the host answered.
import { describe, expect, it } from 'vitest';
import type { Finding, FlowReport, Hop, Report } from '../../src/model.js';
import { attachCauses } from '../../src/evidence/causes.js';
import { hostEvidence } from '../../src/evidence/host-file.js';
import { hostIcmpReason } from '../../src/evidence/host-icmp.js';
import type { HostSnapshot, RouteProbe } from '../../src/evidence/types.js';
import { whyLine } from '../../src/evidence/words.js';
import { snapshot } from './data.js';
import { parseAddress } from '../../src/addresses.js';

const ip = (text: string) => parseAddress(text)!;

const HOPS: Hop[] = [
  { name: 'c1 eth0', role: 'container', iface: 'eth0', netns: 'container:c1', addrs: ['198.18.0.2'] },
  { name: 'veth1', role: 'veth', iface: 'veth1', netns: 'host', addrs: [] },
  { name: 'docker0', role: 'bridge', iface: 'docker0', netns: 'host', addrs: ['198.18.0.1'] },
  { name: 'eth0', role: 'uplink', iface: 'eth0', netns: 'host', addrs: ['203.0.113.1'] },
];

function rejected(answer: { type: number; code: number; mtu?: number; from?: string }, place: Record<string, unknown> = { side: 'path', between: ['docker0', 'eth0'], netns: 'host' }): FlowReport {
  const finding = { code: 'rejected', count: 2, answer: { kind: 'icmp-error', v6: false, type: answer.type, code: answer.code, from: ip(answer.from ?? '198.18.0.1'), ...(answer.mtu ? { mtu: answer.mtu } : {}) }, ...place } as Finding;
  return {
    id: 1, proto: 'icmp', initiator: { addr: ip('198.18.0.2') }, responder: { addr: ip('203.0.113.2') }, verdict: 'rejected', reached: 'docker0', dropBetween: null,
    rewrites: [], ttl: [], latency: [], findings: [finding], packets: { request: 2, reply: 2 }, firstSeen: 0, lastSeen: 1,
  };
}

const PROBE: RouteProbe = { family: 4, dst: '203.0.113.2', from: '198.18.0.2', iif: 'docker0' };

function causeOf(flow: FlowReport, after: Partial<HostSnapshot> = {}): ReturnType<typeof attachCauses>['flows'][number]['cause'] {
  const report: Report = { hops: HOPS, flows: [flow], summary: { packetsPerHop: [2, 2, 2, 0], skippedFrames: 0, otherFlows: 0, warnings: [], timestamps: 'test' } };
  const evidence = hostEvidence([{ role: 'host', before: snapshot('before'), after: { ...snapshot('after'), ...after } }]);
  return attachCauses(report, evidence).flows[0]!.cause;
}

describe('ICMP errors made by the Docker host', () => {
  it('time to live exceeded at docker0: kind route, the interface it arrived on', () => {
    const cause = causeOf(rejected({ type: 11, code: 0 }));
    expect(whyLine(cause!)).toBe('why: the Docker host answered: time to live exceeded (TTL 1 or less at docker0: too little to forward them)');
    expect(cause).toEqual({ kind: 'route', detail: { type: 'host-icmp', reason: 'ttl-expired', at: 'docker0', icmp: { v6: false, type: 11, code: 0 } }, evidence: { counters: [], conntrack: [], sysctls: {} } });
  });

  it('network unreachable with a failing route lookup: the lookup is the evidence', () => {
    const probe = { ...PROBE, error: 'Network is unreachable' };
    const cause = causeOf(rejected({ type: 3, code: 0 }), { routes: [probe] });
    expect(whyLine(cause!)).toBe('why: the Docker host answered: no route (ICMP network unreachable): `ip route get 203.0.113.2 from 198.18.0.2 iif docker0`: Network is unreachable');
    expect(cause?.detail).toEqual({ type: 'host-icmp', reason: 'no-route', at: 'docker0', icmp: { v6: false, type: 3, code: 0 }, probe });
  });

  it('host unreachable at the end of a path that stops at docker0 (the error carries docker0\'s address)', () => {
    const probe = { ...PROBE, error: 'No route to host' };
    const cause = causeOf(rejected({ type: 3, code: 1 }, { side: 'destination', at: 'docker0' }), { routes: [probe] });
    expect(whyLine(cause!)).toBe('why: the Docker host answered: no route (ICMP host unreachable): `ip route get 203.0.113.2 from 198.18.0.2 iif docker0`: No route to host');
  });

  it('fragmentation needed: the MTU the error names, measured against the way out', () => {
    const probe = { ...PROBE, dev: 'eth0' };
    const fits = causeOf(rejected({ type: 3, code: 4, mtu: 1400 }), { routes: [probe], links: [{ name: 'eth0', mtu: 1400 }] });
    expect(whyLine(fits!)).toBe("why: the Docker host answered: fragmentation needed (MTU 1400): the packets are larger than the MTU 1400 of eth0 and they have don't-fragment set");
    expect(fits?.detail).toMatchObject({ reason: 'frag-needed', mtu: 1400, outIface: 'eth0', ifaceMtu: 1400 });
    // A route's own MTU below the interface's: the error's figure, and the interface's said apart.
    const route = causeOf(rejected({ type: 3, code: 4, mtu: 1300 }), { routes: [probe], links: [{ name: 'eth0', mtu: 1500 }] });
    expect(whyLine(route!)).toBe("why: the Docker host answered: fragmentation needed (MTU 1300): the packets are larger than the MTU 1300 the error names on the way out by eth0 (whose own MTU is 1500) and they have don't-fragment set");
  });

  it('an unreachable whose route lookup succeeds is not called "no route": the rules are asked instead', () => {
    const cause = causeOf(rejected({ type: 3, code: 1 }), { routes: [{ ...PROBE, dev: 'eth0' }] });
    expect(cause?.detail.type).not.toBe('host-icmp');
    expect(whyLine(cause!)).not.toContain('answered');
  });

  it('an error from beyond the uplink, or a port unreachable a REJECT rule sends, gets no host reason', () => {
    const beyond = causeOf(rejected({ type: 11, code: 0, from: '203.0.113.2' }, { side: 'beyond', beyond: 'eth0' }), { routes: [{ ...PROBE, error: 'Network is unreachable' }] });
    expect(beyond?.detail.type).not.toBe('host-icmp');
    const port = causeOf(rejected({ type: 3, code: 3 }));
    expect(port?.detail.type).not.toBe('host-icmp');
    // On the path, but in a container's namespace: not the Docker host's answer.
    const elsewhere = causeOf(rejected({ type: 11, code: 0 }, { side: 'path', between: ['docker0', 'eth0'], netns: 'container:c2' }));
    expect(elsewhere?.detail.type).not.toBe('host-icmp');
  });

  it('IPv6 words: hop limit, packet too big (never fragmented on the way)', () => {
    const icmp = (type: number, code: number) => ({ v6: true, type, code });
    const none = { counters: [], conntrack: [], sysctls: {} };
    expect(whyLine({ kind: 'route', detail: { type: 'host-icmp', reason: 'ttl-expired', at: 'br-1', icmp: icmp(3, 0) }, evidence: none }))
      .toBe('why: the Docker host answered: hop limit exceeded (hop limit 1 or less at br-1: too little to forward them)');
    expect(whyLine({ kind: 'route', detail: { type: 'host-icmp', reason: 'frag-needed', at: 'br-1', icmp: icmp(2, 0), mtu: 1280, outIface: 'eth0', ifaceMtu: 1280 }, evidence: none }))
      .toBe('why: the Docker host answered: packet too big (MTU 1280): the packets are larger than the MTU 1280 of eth0 and IPv6 is never fragmented on the way');
  });

  it('names the reasons of both families; leaves the kinds a REJECT rule can send to the rules', () => {
    expect([[11, 0], [3, 4], [3, 0], [3, 1], [3, 3], [3, 13], [11, 1]].map(([type, code]) => hostIcmpReason({ v6: false, type: type!, code: code! })))
      .toEqual(['ttl-expired', 'frag-needed', 'no-route', 'no-route', undefined, undefined, undefined]);
    expect([[3, 0], [2, 0], [1, 0], [1, 4], [1, 1]].map(([type, code]) => hostIcmpReason({ v6: true, type: type!, code: code! })))
      .toEqual(['ttl-expired', 'frag-needed', 'no-route', undefined, undefined]);
  });
});

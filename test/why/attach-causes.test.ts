// The stage after explain: a report's flows and rewrites get their causes from host
// evidence (captured in the lab, see data.ts). Pure, no lab needed.
import { describe, expect, it } from 'vitest';
import type { FlowReport, Hop, Report } from '../../src/model.js';
import { attachCauses } from '../../src/evidence/causes.js';
import { hostEvidence } from '../../src/evidence/host-file.js';
import { packetAt } from '../../src/evidence/packets.js';
import { whyLine } from '../../src/evidence/words.js';
import { causeNote } from '../../src/render/text.js';
import { snapshot } from './data.js';
import { parseAddress } from '../../src/addresses.js';

const ip = (text: string) => parseAddress(text)!;

const HOPS: Hop[] = [
  { name: 'c1 eth0', role: 'container', iface: 'eth0', netns: 'container:c1', addrs: ['198.18.0.2'] },
  { name: 'veth1', role: 'veth', iface: 'veth1', netns: 'host', addrs: [] },
  { name: 'docker0', role: 'bridge', iface: 'docker0', netns: 'host', addrs: ['198.18.0.1'] },
  { name: 'eth0', role: 'uplink', iface: 'eth0', netns: 'host', addrs: ['203.0.113.1'] },
];

// Endpoints and rewritten values are given as text: the reader takes text and values alike
// (see the last test), so this file does not depend on which of the two the model carries.
function flow(over: Record<string, unknown>): FlowReport {
  return {
    id: 1, proto: 'icmp', initiator: { addr: ip('198.18.0.2') }, responder: { addr: ip('203.0.113.2') }, verdict: 'ok', reached: 'eth0', dropBetween: null,
    rewrites: [], ttl: [], latency: [], findings: [], packets: { request: 2, reply: 0 }, firstSeen: 0, lastSeen: 1, ...over,
  } as unknown as FlowReport;
}

function report(flows: FlowReport[]): Report {
  return { hops: HOPS, flows, summary: { packetsPerHop: [2, 2, 2, 0], skippedFrames: 0, otherFlows: 0, warnings: [], timestamps: 'test' } };
}

const evidence = () => hostEvidence([{ role: 'host', before: snapshot('before'), after: snapshot('after') }]);

describe('attachCauses', () => {
  it('gives a dropped flow the rule that counted its packets, with the packet as at the bridge', () => {
    const dropped = flow({ verdict: 'dropped', reached: 'docker0', dropBetween: ['docker0', 'eth0'] });
    const [f] = attachCauses(report([dropped]), evidence()).flows;
    expect(whyLine(f!.cause!)).toBe('why: dropped by a rule in chain DOCKER-USER of table filter (iptables-nft), which counted 2 packets during the trace: `-A DOCKER-USER -m mark --mark 0x0 -j DROP`');
  });

  it('leaves an ok flow without a cause, and has nothing to say about causes', () => {
    const r = attachCauses(report([flow({ packets: { request: 2, reply: 2 } })]), evidence());
    expect(r.flows[0]!.cause).toBeUndefined();
    expect(r.causes).toEqual({ evidence: 'host', traceRules: false, gaps: [] });
    expect(r.flows[0]!.rewrites).toEqual([]);
    expect(causeNote(r)).toBeUndefined();
  });

  it('without the host state: no cause anywhere, and the report says once that causes are not known', () => {
    const dropped = flow({ verdict: 'dropped', reached: 'docker0', dropBetween: ['docker0', 'eth0'] });
    const r = attachCauses(report([dropped, { ...dropped, id: 2 }]), undefined);
    expect(r.flows.map((f) => f.cause)).toEqual([undefined, undefined]);
    expect(r.causes).toEqual({ evidence: 'none', traceRules: false, gaps: [] });
    expect(causeNote(r)).toBe("why: not known: these captures come without the host's state (firewall rules and their counters, conntrack, settings), which `hoptrace --record` writes to host.json beside the pcaps");
  });

  it('follows an inbound flow through a DNAT: the request as at each hop, and the reply turned round', () => {
    const inbound = flow({
      proto: 'tcp', initiator: { addr: ip('203.0.113.2'), port: 40000 }, responder: { addr: ip('203.0.113.1'), port: 8080 }, reached: 'c1 eth0',
      rewrites: [
        { between: ['eth0', 'docker0'], direction: 'request', field: 'dst', from: ip('203.0.113.1'), to: ip('198.18.0.2') },
        { between: ['eth0', 'docker0'], direction: 'request', field: 'dport', from: 8080, to: 80 },
        { between: ['docker0', 'eth0'], direction: 'reply', field: 'src', from: ip('198.18.0.2'), to: ip('203.0.113.1') },
        { between: ['docker0', 'eth0'], direction: 'reply', field: 'sport', from: 80, to: 8080 },
      ],
    });
    expect(packetAt(inbound, HOPS, 'request', 3)).toEqual({ family: 4, src: '203.0.113.2', dst: '203.0.113.1', proto: 6, sport: 40000, dport: 8080 });
    expect(packetAt(inbound, HOPS, 'request', 2)).toEqual({ family: 4, src: '203.0.113.2', dst: '198.18.0.2', proto: 6, sport: 40000, dport: 80 });
    expect(packetAt(inbound, HOPS, 'reply', 2)).toEqual({ family: 4, src: '198.18.0.2', dst: '203.0.113.2', proto: 6, sport: 80, dport: 40000 });
    expect(packetAt(inbound, HOPS, 'reply', 3)).toEqual({ family: 4, src: '203.0.113.1', dst: '203.0.113.2', proto: 6, sport: 8080, dport: 40000 });
  });
});

describe('endpoints and rewritten values as the report carries them', () => {
  it('reads text and values alike (IPv4 as a number, IPv6 as a bigint)', async () => {
    const { addressText, endpointOf } = await import('../../src/evidence/packets.js');
    expect(addressText(0xc6120002)).toBe('198.18.0.2');
    expect(addressText(0x20010db8000000000000000000000001n)).toBe('2001:db8::1');
    expect(endpointOf({ addr: 0xc6120002, port: 80 })).toEqual({ addr: '198.18.0.2', port: 80 });
    expect(endpointOf('[2001:db8::1]:53')).toEqual({ addr: '2001:db8::1', port: 53 });
    expect(endpointOf('2001:db8::1')).toEqual({ addr: '2001:db8::1' });
  });
});

// Real recordings that the CLI tests pin through the spawned command (test/fixtures/modes-fixtures,
// test/overlay/overlay-report), replayed here in-process so that StrykerJS's mutants of
// src/correlate and src/explain meet them: macvlan (two hops, no bridge), host mode (one hop),
// IPv6 with NAT66 and without NAT, and the two-host VXLAN overlay (ok, dropped inside the
// tunnel, and the gateway-bridge exit with SNAT). The whole text report of each is asserted
// (the same lines as the CLI tests, without the CLI's cause note), and the values behind the
// IPv6 and tunnel reports.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTrace } from '../../src/capture/trace.js';
import { replayReport } from '../../src/pipeline/replay.js';
import { renderText } from '../../src/render/text.js';
import { flowJson } from '../../src/render/json.js';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures');
const CAPTURES = path.join(ROOT, 'test', 'overlay', 'captures');

async function report(dir: string) {
  return replayReport(openTrace([dir]));
}
async function text(dir: string): Promise<string> {
  return `${renderText(await report(dir), { color: false }).trimEnd()}\n`;
}
const lines = (t: string[]) => `${t.join('\n')}\n`;
const ttl = (a: string, b: string, direction: string, decrement: number) => ({ between: [a, b], direction, decrement });
const lat = (a: string, b: string, direction: string, minUs: number, avgUs: number, maxUs: number) => ({ between: [a, b], direction, samples: 3, minUs, avgUs, maxUs });
const chainTtl = (hops: string[]) => [
  ttl(hops[0]!, hops[1]!, 'request', 0), ttl(hops[1]!, hops[2]!, 'request', 0), ttl(hops[2]!, hops[3]!, 'request', 1),
  ttl(hops[3]!, hops[2]!, 'reply', 1), ttl(hops[2]!, hops[1]!, 'reply', 0), ttl(hops[1]!, hops[0]!, 'reply', 0),
];


describe('network-mode recordings, in-process', () => {
  it('macvlan-out: the child and its parent, ok, no rewrite, no TTL change', async () => {
    expect(await text(path.join(FIXTURES, 'macvlan-out'))).toBe(lines([
        'path: 1. m1 eth0 (203.0.113.128)  2. eth0 (203.0.113.1)',
        'packets per hop: m1 eth0 6, eth0 6',
        'timestamps: taken from the capture files (each hop by its own capture)',
        '',
        'flow 1: icmp 203.0.113.128 -> 203.0.113.2: ok (3 requests, 3 replies)',
        '   1. m1 eth0',
        '       | requests 20.7 us (15..29 us) ttl same, replies 2 us (2..2 us) ttl same',
        '   2. eth0',
        '  verdict: ok: requests reached eth0 and the answers came back.',
        '',
        '1 flow, 0 not ok',
    ]));
  });

  it('host-mode-out: one hop, the host\'s eth0, ok, no NAT', async () => {
    expect(await text(path.join(FIXTURES, 'host-mode-out'))).toBe(lines([
        'path: 1. eth0 (203.0.113.1)',
        'packets per hop: eth0 6',
        'timestamps: taken from the capture files (each hop by its own capture)',
        '',
        'flow 1: icmp 203.0.113.1 -> 203.0.113.2: ok (3 requests, 3 replies)',
        '   1. eth0',
        '  verdict: ok: requests reached eth0 and the answers came back.',
        '',
        '1 flow, 0 not ok',
    ]));
  });

  it('ipv6-nat66: NAT66 of the ULA source shown as SNAT between the bridge and the uplink', async () => {
    const r = await report(path.join(FIXTURES, 'ipv6-nat66'));
    const hops = r.hops.map((h) => h.name);
    expect(r.flows).toHaveLength(1);
    const report_ = { flows: r.flows.map(flowJson) };
    expect(report_.flows[0]).toEqual({
      id: 1, proto: 'icmpv6', initiator: 'fd00:18:1::2', responder: '2001:db8::2', verdict: 'ok', reached: 'eth0', dropBetween: null,
      rewrites: [
        { between: ['br-69d21da44b26', 'eth0'], direction: 'request', field: 'src', from: 'fd00:18:1::2', to: '2001:db8::1' },
        { between: ['eth0', 'br-69d21da44b26'], direction: 'reply', field: 'dst', from: '2001:db8::1', to: 'fd00:18:1::2' },
      ],
      ttl: chainTtl(hops),
      latency: [
        lat('c6 eth0', 'veth03f5ecf', 'request', 14, 14.333, 15), lat('veth03f5ecf', 'br-69d21da44b26', 'request', 21, 25, 31),
        lat('br-69d21da44b26', 'eth0', 'request', 27, 31, 36), lat('eth0', 'br-69d21da44b26', 'reply', 7, 7.667, 9),
        lat('br-69d21da44b26', 'veth03f5ecf', 'reply', 3, 3, 3), lat('veth03f5ecf', 'c6 eth0', 'reply', 1, 1.667, 2),
      ],
      findings: [], packets: { request: 3, reply: 3 }, firstSeen: 0, lastSeen: 1.0005,
    });
  });

  it('ipv6-global: a globally routed IPv6 source leaves as it is: ok, no rewrite, no no-snat; the router solicitation is no flow', async () => {
    const r = await report(path.join(FIXTURES, 'ipv6-global'));
    const hops = r.hops.map((h) => h.name);
    expect(r.flows).toHaveLength(1);
    const report_ = { flows: r.flows.map(flowJson) };
    expect(report_.flows[0]).toEqual({
      id: 1, proto: 'icmpv6', initiator: '2001:db8:1::2', responder: '2001:db8::2', verdict: 'ok', reached: 'eth0', dropBetween: null,
      rewrites: [],
      ttl: chainTtl(hops),
      latency: [
        lat('c6 eth0', 'veth63ade22', 'request', 12, 13, 14), lat('veth63ade22', 'br-5ab2b316febf', 'request', 22, 24, 25),
        lat('br-5ab2b316febf', 'eth0', 'request', 12, 15.333, 17), lat('eth0', 'br-5ab2b316febf', 'reply', 3, 3, 3),
        lat('br-5ab2b316febf', 'veth63ade22', 'reply', 3, 3.333, 4), lat('veth63ade22', 'c6 eth0', 'reply', 1, 1.333, 2),
      ],
      findings: [], packets: { request: 3, reply: 3 }, firstSeen: 1.761249, lastSeen: 2.762529,
    });
  });
});

describe('two-host overlay recordings, in-process', () => {
  it('overlay-ping: ok on all ten hops, the VXLAN carrier at both uplinks, no latency between the hosts, no NAT', async () => {
    expect(await text(path.join(CAPTURES, 'overlay-ping'))).toBe(lines([
        'path: 1. h1 c1 eth0 (198.18.100.2)  2. h1 overlay:ht-overlay veth1  3. h1 overlay:ht-overlay br0 (198.18.100.1)  4. h1 overlay:ht-overlay vxlan0  5. h1 eth0 (203.0.113.1)  6. h2 eth0 (203.0.113.3)  7. h2 overlay:ht-overlay vxlan0  8. h2 overlay:ht-overlay br0 (198.18.100.1)  9. h2 overlay:ht-overlay veth1  10. h2 c2 eth0 (198.18.100.4)',
        'packets per hop: h1 c1 eth0 6, h1 overlay:ht-overlay veth1 6, h1 overlay:ht-overlay br0 6, h1 overlay:ht-overlay vxlan0 6, h1 eth0 14, h2 eth0 14, h2 overlay:ht-overlay vxlan0 6, h2 overlay:ht-overlay br0 6, h2 overlay:ht-overlay veth1 6, h2 c2 eth0 6',
        'timestamps: taken from the capture files (each hop by its own capture)',
        'hosts: h1 (hops 1-5), h2 (hops 6-10); clocks not compared: no latency is shown between hops on different hosts',
        'left out: 1 flow of other hosts on the shared hops',
        '',
        'flow 1: icmp 198.18.100.2 -> 198.18.100.4: ok (3 requests, 3 replies)',
        '   1. h1 c1 eth0',
        '       | requests 20 us (11..35 us) ttl same, replies 3.3 us (3..4 us) ttl same',
        '   2. h1 overlay:ht-overlay veth1',
        '       | requests 73.3 us (38..142 us) ttl same, replies -1.7 us (-2..-1 us) ttl same',
        '   3. h1 overlay:ht-overlay br0',
        '       | requests -58.7 us (-128..-24 us) ttl same, replies 4 us (4..4 us) ttl same',
        '   4. h1 overlay:ht-overlay vxlan0',
        '       | requests 18 us (17..20 us) ttl same, replies 5.7 us (5..6 us) ttl same',
        '       | VXLAN VNI 4097, underlay 203.0.113.1 -> 203.0.113.3, UDP 4789: requests encapsulated between h1 overlay:ht-overlay vxlan0 and h1 eth0; replies decapsulated the other way',
        '   5. h1 eth0',
        '       | requests (no latency: clocks not compared) ttl same, replies (no latency: clocks not compared) ttl same',
        '   6. h2 eth0',
        '       | requests 21.7 us (21..22 us) ttl same, replies 4 us (3..5 us) ttl same',
        '       | VXLAN VNI 4097, underlay 203.0.113.1 -> 203.0.113.3, UDP 4789: requests decapsulated between h2 eth0 and h2 overlay:ht-overlay vxlan0; replies encapsulated the other way',
        '   7. h2 overlay:ht-overlay vxlan0',
        '       | requests 21.3 us (11..39 us) ttl same, replies -6 us (-7..-5 us) ttl same',
        '   8. h2 overlay:ht-overlay br0',
        '       | requests -14 us (-32..-4 us) ttl same, replies 8.3 us (7..9 us) ttl same',
        '   9. h2 overlay:ht-overlay veth1',
        '       | requests 54.7 us (8..144 us) ttl same, replies 2.3 us (2..3 us) ttl same',
        '  10. h2 c2 eth0',
        '  verdict: ok: requests reached h2 c2 eth0 and the answers came back.',
        '',
        '1 flow, 0 not ok'
    ]));
  });

  it('overlay-underlay-drop: the requests vanish after h2 eth0 while still inside the tunnel', async () => {
    expect(await text(path.join(CAPTURES, 'overlay-underlay-drop'))).toBe(lines([
        'path: 1. h1 c1 eth0 (198.18.100.2)  2. h1 overlay:ht-overlay veth1  3. h1 overlay:ht-overlay br0 (198.18.100.1)  4. h1 overlay:ht-overlay vxlan0  5. h1 eth0 (203.0.113.1)  6. h2 eth0 (203.0.113.3)  7. h2 overlay:ht-overlay vxlan0  8. h2 overlay:ht-overlay br0 (198.18.100.1)  9. h2 overlay:ht-overlay veth1  10. h2 c2 eth0 (198.18.100.4)',
        'packets per hop: h1 c1 eth0 3, h1 overlay:ht-overlay veth1 3, h1 overlay:ht-overlay br0 3, h1 overlay:ht-overlay vxlan0 3, h1 eth0 13, h2 eth0 13, h2 overlay:ht-overlay vxlan0 0, h2 overlay:ht-overlay br0 0, h2 overlay:ht-overlay veth1 0, h2 c2 eth0 0',
        'timestamps: taken from the capture files (each hop by its own capture)',
        'hosts: h1 (hops 1-5), h2 (hops 6-10); clocks not compared: no latency is shown between hops on different hosts',
        'left out: 1 flow of other hosts on the shared hops',
        '',
        'flow 1: icmp 198.18.100.2 -> 198.18.100.4: dropped (3 requests, 0 replies)',
        '   1. h1 c1 eth0',
        '       | requests 11.7 us (11..13 us) ttl same',
        '   2. h1 overlay:ht-overlay veth1',
        '       | requests 38.7 us (37..40 us) ttl same',
        '   3. h1 overlay:ht-overlay br0',
        '       | requests -23.7 us (-25..-23 us) ttl same',
        '   4. h1 overlay:ht-overlay vxlan0',
        '       | requests 16.3 us (16..17 us) ttl same',
        '       | VXLAN VNI 4097, underlay 203.0.113.1 -> 203.0.113.3, UDP 4789: requests encapsulated between h1 overlay:ht-overlay vxlan0 and h1 eth0',
        '   5. h1 eth0',
        '       | requests (no latency: clocks not compared) ttl same',
        '   6. h2 eth0',
        '       x requests vanished between h2 eth0 and h2 overlay:ht-overlay vxlan0, inside the tunnel',
        '   7. h2 overlay:ht-overlay vxlan0',
        '   8. h2 overlay:ht-overlay br0',
        '   9. h2 overlay:ht-overlay veth1',
        '  10. h2 c2 eth0',
        '  verdict: dropped: requests vanished between h2 eth0 and h2 overlay:ht-overlay vxlan0, inside the tunnel (last seen at h2 eth0).',
        '',
        '1 flow, 1 not ok'
    ]));
  });

  it('overlay-out: SNAT at docker_gwbridge -> eth0, and neither a tunnel line nor a hosts line', async () => {
    expect(await text(path.join(CAPTURES, 'overlay-out'))).toBe(lines([
        'path: 1. h1 c1 eth1 (198.18.64.3)  2. h1 veth9d6e389  3. h1 docker_gwbridge (198.18.64.1)  4. h1 eth0 (203.0.113.1)',
        'packets per hop: h1 c1 eth1 6, h1 veth9d6e389 6, h1 docker_gwbridge 6, h1 eth0 11',
        'timestamps: taken from the capture files (each hop by its own capture)',
        'left out: 2 flows of other hosts on the shared hops',
        '',
        'flow 1: icmp 198.18.64.3 -> 203.0.113.2: ok (3 requests, 3 replies)',
        '   1. h1 c1 eth1',
        '       | requests 11.7 us (9..15 us) ttl same, replies 1 us (1..1 us) ttl same',
        '   2. h1 veth9d6e389',
        '       | requests 16.3 us (12..22 us) ttl same, replies 3 us (3..3 us) ttl same',
        '   3. h1 docker_gwbridge',
        '       | requests 23 us (22..24 us) ttl -1, replies 6.3 us (6..7 us) ttl -1',
        '       | SNAT src 198.18.64.3 -> 203.0.113.1 between h1 docker_gwbridge and h1 eth0',
        '       | un-SNAT dst 203.0.113.1 -> 198.18.64.3 between h1 eth0 and h1 docker_gwbridge (replies)',
        '   4. h1 eth0',
        '  verdict: ok: requests reached h1 eth0 and the answers came back.',
        '',
        '1 flow, 0 not ok'
    ]));
    expect((await report(path.join(CAPTURES, 'overlay-out'))).flows.map((f) => f.tunnels)).toEqual([undefined]);
  });

  it('overlay-ping as values: the tunnel steps, the hops that saw the packets inside, no finding, no rewrite', async () => {
    const r = await report(path.join(CAPTURES, 'overlay-ping'));
    const flow = flowJson(r.flows[0]!);
    const carrier = (src: string, dst: string) => ({ kind: 'vxlan', vni: 4097, outer: { src, dst, dport: 4789 } });
    expect(flow.tunnels).toEqual({
      steps: [
        { between: ['h1 overlay:ht-overlay vxlan0', 'h1 eth0'], direction: 'request', ...carrier('203.0.113.1', '203.0.113.3'), action: 'encapsulated' },
        { between: ['h2 eth0', 'h2 overlay:ht-overlay vxlan0'], direction: 'request', ...carrier('203.0.113.1', '203.0.113.3'), action: 'decapsulated' },
        { between: ['h2 overlay:ht-overlay vxlan0', 'h2 eth0'], direction: 'reply', ...carrier('203.0.113.3', '203.0.113.1'), action: 'encapsulated' },
        { between: ['h1 eth0', 'h1 overlay:ht-overlay vxlan0'], direction: 'reply', ...carrier('203.0.113.3', '203.0.113.1'), action: 'decapsulated' },
      ],
      insideAt: ['h1 eth0', 'h2 eth0'],
    });
    expect(flow.findings).toEqual([]);
    expect(flow.rewrites).toEqual([]);
    // Every step on one host; none between h1 eth0 and h2 eth0 (no measured clock offset).
    const steps = (names: string[], direction: string) => names.slice(1).map((to, i) => `${direction} ${names[i]}>${to}`);
    const h1 = ['h1 c1 eth0', 'h1 overlay:ht-overlay veth1', 'h1 overlay:ht-overlay br0', 'h1 overlay:ht-overlay vxlan0', 'h1 eth0'];
    const h2 = ['h2 eth0', 'h2 overlay:ht-overlay vxlan0', 'h2 overlay:ht-overlay br0', 'h2 overlay:ht-overlay veth1', 'h2 c2 eth0'];
    expect(flow.latency.map((l: { direction: string; between: string[] }) => `${l.direction} ${l.between.join('>')}`)).toEqual([
      ...steps(h1, 'request'), ...steps(h2, 'request'), ...steps([...h2].reverse(), 'reply'), ...steps([...h1].reverse(), 'reply'),
    ]);
  });
});

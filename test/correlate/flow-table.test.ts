// Which flow a packet joins and which way it goes (src/correlate/flows.ts), where the fast path
// (the same conversation as the last packet at that hop) and the lookup by conversation must
// agree: conversations that share addresses but differ in protocol, port, echo id or echo kind;
// protocols hoptrace does not decode; ICMP without an echo id; fragments of interleaved
// datagrams; the direction of a flow whose first packet is an answer when no address tells it;
// and a flow forgotten (retired) whose conversation comes back.
import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import { FlowTable } from '../../src/correlate/flows.js';
import { PathModel } from '../../src/correlate/path.js';
import { decodeFrame } from '../../src/decode/index.js';
import { SYN, ACK, bytes, icmpEcho, icmpError, ipv4, tcp, udp } from '../decode/builders.js';
import type { Frame, Hop, Sighting } from '../../src/model.js';
import { flowJson } from '../../src/render/json.js';
import { parseAddress } from '../../src/addresses.js';
import { C1, DOCKER_PATH, frameAt, HOST, ip4, OUT } from './path-builders.js';


function run(frames: Frame[], hops: Hop[] = DOCKER_PATH) {
  const tracer = createTracer(hops);
  for (const f of frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec)) tracer.push(f);
  const report = tracer.finish();
  return { report, otherFlows: report.summary.otherFlows, flows: report.flows.map(flowJson) };
}

/** One packet at the hops listed, in that order, 10 us apart from `ms`. */
function at(hops: number[], ms: number, packet: (hop: number) => Uint8Array): Frame[] {
  return hops.map((hop, i) => frameAt(hop, ms + i * 0.01, packet(hop)));
}
/** The sightings of one packet, decoded, as the journey matcher hands them to the flow table. */
function sightings(hops: number[], ms: number, packet: (hop: number) => Uint8Array): Sighting[] {
  return at(hops, ms, packet).map((f, i) => {
    const d = decodeFrame(f.linkType, f.data, f.origLen);
    if (d.kind !== 'packet') throw new Error('not a packet');
    return { hop: f.hop, frameSeq: i, t: ms * 1e6 + i * 1e4, ip: d.ip, encap: d.encap };
  });
}
const OUTWARD = [0, 1, 2, 3];
const BACK = [3, 2, 1, 0];
/** "proto initiator -> responder requests/replies" per flow. */
const flowsOf = (r: ReturnType<typeof run>) => r.flows.map((f) => `${f.proto} ${f.initiator} -> ${f.responder} ${f.packets.request}/${f.packets.reply}`);

/** A packet of protocol `proto` (not decoded past IP) from c1 to `dst`, MASQUERADEd at eth0. */
const other = (proto: number, id: number, dst = OUT) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst, id, proto }, bytes(16));
const otherBack = (proto: number, id: number, src = OUT) => (hop: number) => ip4({ src, dst: hop === 3 ? HOST : C1, id, proto }, bytes(16));

describe('protocols hoptrace does not decode (GRE 47, SCTP 132)', () => {
  it('packets of one direction stay requests of one flow', () => {
    const r = run([...at(OUTWARD, 0, other(47, 1)), ...at(OUTWARD, 10, other(47, 2)), ...at(OUTWARD, 20, other(47, 3))]);
    expect(flowsOf(r)).toEqual([`ip-proto-47 ${C1} -> ${OUT} 3/0`]);
  });

  it('both directions: one flow, the packets coming back are replies', () => {
    const r = run([...at(OUTWARD, 0, other(47, 1)), ...at(BACK, 1, otherBack(47, 2)), ...at(OUTWARD, 10, other(47, 3)), ...at(BACK, 11, otherBack(47, 4))]);
    expect(flowsOf(r)).toEqual([`ip-proto-47 ${C1} -> ${OUT} 2/2`]);
  });

  it('two protocols between the same addresses, interleaved: two flows', () => {
    const r = run([...at(OUTWARD, 0, other(47, 1)), ...at(OUTWARD, 10, other(132, 2)), ...at(OUTWARD, 20, other(47, 3)), ...at(OUTWARD, 30, other(132, 4))]);
    expect(flowsOf(r)).toEqual([`ip-proto-47 ${C1} -> ${OUT} 2/0`, `ip-proto-132 ${C1} -> ${OUT} 2/0`]);
  });

  it('one protocol to two destinations, interleaved: two flows', () => {
    const r = run([...at(OUTWARD, 0, other(47, 1)), ...at(OUTWARD, 10, other(47, 2, '203.0.113.9')), ...at(OUTWARD, 20, other(47, 3)), ...at(OUTWARD, 30, other(47, 4, '203.0.113.9'))]);
    expect(flowsOf(r)).toEqual([`ip-proto-47 ${C1} -> ${OUT} 2/0`, `ip-proto-47 ${C1} -> 203.0.113.9 2/0`]);
  });

  it('one protocol from two sources to one destination at the same hop: two flows', () => {
    // A second address of c1 (the traced container's hops are private to it).
    const from = (src: string, id: number) => (hop: number) => ip4({ src, dst: OUT, id, proto: 47 }, bytes(16));
    const r = run([...at([0, 1], 0, from(C1, 1)), ...at([0, 1], 10, from('198.18.0.5', 2)), ...at([0, 1], 20, from(C1, 3)), ...at([0, 1], 30, from('198.18.0.5', 4))]);
    expect(flowsOf(r)).toEqual([`ip-proto-47 ${C1} -> ${OUT} 2/0`, `ip-proto-47 198.18.0.5 -> ${OUT} 2/0`]);
  });
});

describe('undecoded protocols: a packet coming back to another address', () => {
  it("GRE from 203.0.113.2 to c1's second address right after c1's GRE to 203.0.113.2: not a reply of c1's flow", () => {
    const toSecond = (hop: number) => ip4({ src: OUT, dst: '198.18.0.5', id: 9, proto: 47 }, bytes(16));
    const r = run([...at([0, 1], 0, other(47, 1)), ...at([0, 1], 10, toSecond)]);
    expect(flowsOf(r)).toEqual([`ip-proto-47 ${C1} -> ${OUT} 1/0`, `ip-proto-47 ${OUT} -> 198.18.0.5 1/0`]);
  });
});

describe('TCP and UDP conversations sharing addresses', () => {
  const seg = (sport: number, dport: number, flags: number, id: number) => (hop: number) =>
    ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id, proto: 6 }, tcp({ sport: hop === 3 ? sport + 20000 : sport, dport, seq: 100 + id, flags }));
  const segBack = (sport: number, dport: number, flags: number, id: number) => (hop: number) =>
    ip4({ src: OUT, dst: hop === 3 ? HOST : C1, id, proto: 6 }, tcp({ sport: dport, dport: hop === 3 ? sport + 20000 : sport, seq: 900 + id, ack: 101, flags }));

  it('the same source port to two server ports: two connections', () => {
    const r = run([...at(OUTWARD, 0, seg(5000, 80, SYN, 1)), ...at(OUTWARD, 10, seg(5000, 81, SYN, 2)), ...at(OUTWARD, 20, seg(5000, 80, ACK, 3))]);
    expect(flowsOf(r)).toEqual([`tcp ${C1}:5000 -> ${OUT}:80 2/0`, `tcp ${C1}:5000 -> ${OUT}:81 1/0`]);
  });

  it("port 81's SYN-ACK, first seen at eth0 right after port 80's, is port 81's reply", () => {
    // Port 80's SYN-ACK is the last journey that began at eth0 when port 81's arrives there.
    const r = run([...at(OUTWARD, 0, seg(5000, 81, SYN, 1)), ...at(OUTWARD, 10, seg(5000, 80, SYN, 2)), ...at(BACK, 11, segBack(5000, 80, SYN | ACK, 3)), ...at(BACK, 20, segBack(5000, 81, SYN | ACK, 4))]);
    expect(flowsOf(r)).toEqual([`tcp ${C1}:5000 -> ${OUT}:81 1/1`, `tcp ${C1}:5000 -> ${OUT}:80 1/1`]);
  });

  it('UDP and a later fragment without its first (proto 17, no header): the fragment is a flow of its own, the UDP packets stay together', () => {
    const dgram = (id: number) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id, proto: 17 }, udp({ sport: 5000, dport: 53 }, bytes(8)));
    const orphan = (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 99, proto: 17, fragOffset: 16 }, bytes(16));
    const r = run([...at(OUTWARD, 0, dgram(1)), ...at(OUTWARD, 10, orphan), ...at(OUTWARD, 20, dgram(2))]);
    expect(flowsOf(r)).toEqual([`udp ${C1}:5000 -> ${OUT}:53 2/0`, `ip-proto-17 ${C1} -> ${OUT} 1/0`]);
  });
});

describe('ICMP conversations sharing addresses', () => {
  // A two-hop path without NAT: c1 and its veth.
  const PAIR: Hop[] = [DOCKER_PATH[0]!, DOCKER_PATH[1]!];
  const echo = (type: number, src: string, dst: string, id: number, seq: number) => () => ip4({ src, dst, id: seq + type * 100, proto: 1 }, icmpEcho(type, id, seq, bytes(8)));

  it('c1 pings OUT and OUT pings c1 with the same echo id, interleaved: two flows, each with its requests and replies', () => {
    const r = run(
      [
        ...at([0, 1], 0, echo(8, C1, OUT, 5, 1)), ...at([1, 0], 1, echo(0, OUT, C1, 5, 1)),
        ...at([1, 0], 10, echo(8, OUT, C1, 5, 7)), ...at([0, 1], 11, echo(0, C1, OUT, 5, 7)),
        ...at([0, 1], 20, echo(8, C1, OUT, 5, 2)), ...at([1, 0], 21, echo(0, OUT, C1, 5, 2)),
        ...at([1, 0], 30, echo(8, OUT, C1, 5, 8)), ...at([0, 1], 31, echo(0, C1, OUT, 5, 8)),
      ],
      PAIR,
    );
    expect(flowsOf(r)).toEqual([`icmp ${C1} -> ${OUT} 2/2`, `icmp ${OUT} -> ${C1} 2/2`]);
  });

  it('ICMP timestamp request and reply (no echo id) are one flow; an echo between the same addresses is another', () => {
    const stamp = (type: number, src: string, dst: string, n: number) => () => ip4({ src, dst, id: n, proto: 1 }, Uint8Array.from([type, 0, 0, 0, 0, 9, 0, n, ...bytes(12)]));
    const r = run(
      [
        ...at([0, 1], 0, stamp(13, C1, OUT, 1)), ...at([1, 0], 1, stamp(14, OUT, C1, 2)),
        ...at([0, 1], 10, echo(8, C1, OUT, 5, 1)), ...at([1, 0], 11, stamp(14, OUT, C1, 3)),
        ...at([1, 0], 20, echo(0, OUT, C1, 5, 1)), ...at([0, 1], 21, stamp(13, C1, OUT, 4)),
      ],
      PAIR,
    );
    expect(flowsOf(r)).toEqual([`icmp ${C1} -> ${OUT} 2/2`, `icmp ${C1} -> ${OUT} 1/1`]);
    expect(r.report.flows.map((f) => f.initiator)).toStrictEqual([{ addr: r.report.flows[0]!.initiator.addr }, { addr: r.report.flows[1]!.initiator.addr }]);
  });
});

describe('fragments', () => {
  // A UDP datagram in two fragments: the first with the header (offset 0, more), the rest at offset 16.
  const first = (sport: number, id: number, src = C1) => (hop: number) =>
    ip4({ src: hop === 3 ? HOST : src, dst: OUT, id, proto: 17, more: true }, udp({ sport, dport: 53, length: 40 }, bytes(8)));
  const rest = (id: number, src = C1) => (hop: number) => ip4({ src: hop === 3 ? HOST : src, dst: OUT, id, proto: 17, fragOffset: 16 }, bytes(16));

  it('two fragmented datagrams interleaved: each later fragment joins its own first fragment\'s flow', () => {
    const r = run([...at(OUTWARD, 0, first(5000, 71)), ...at(OUTWARD, 1, first(5001, 72)), ...at(OUTWARD, 2, rest(71)), ...at(OUTWARD, 3, rest(72))]);
    expect(flowsOf(r)).toEqual([`udp ${C1}:5000 -> ${OUT}:53 2/0`, `udp ${C1}:5001 -> ${OUT}:53 2/0`]);
  });

  it('an unfragmented datagram of another conversation with the same IP id as a first fragment stays in its own flow', () => {
    const whole = (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 71, proto: 17 }, udp({ sport: 5001, dport: 53 }, bytes(8)));
    const r = run([...at(OUTWARD, 0, first(5000, 71)), ...at(OUTWARD, 1, rest(71)), ...at(OUTWARD, 2, whole)]);
    expect(flowsOf(r)).toEqual([`udp ${C1}:5000 -> ${OUT}:53 2/0`, `udp ${C1}:5001 -> ${OUT}:53 1/0`]);
  });

  it('a later fragment with the IP id of an unfragmented datagram is not tied to it', () => {
    const whole = (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 71, proto: 17 }, udp({ sport: 5001, dport: 53 }, bytes(8)));
    const r = run([...at(OUTWARD, 0, whole), ...at(OUTWARD, 1, rest(71))]);
    expect(flowsOf(r)).toEqual([`udp ${C1}:5001 -> ${OUT}:53 1/0`, `ip-proto-17 ${C1} -> ${OUT} 1/0`]);
  });

  it("another container's fragmented datagram (docker0 and eth0 only) is one other flow, not two", () => {
    const r = run([...at(OUTWARD, 0, first(5000, 60)), ...at([2, 3], 1, first(6000, 71, '198.18.0.3')), ...at([2, 3], 2, rest(71, '198.18.0.3'))]);
    expect(flowsOf(r)).toEqual([`udp ${C1}:5000 -> ${OUT}:53 1/0`]);
    expect(r.otherFlows).toBe(1);
  });
});

describe('which way requests go when no address tells it', () => {
  // Three hops without roles or addresses: only the order the hops saw the packets in.
  const BARE: Hop[] = [
    { name: 'a', role: 'other', addrs: [] },
    { name: 'b', role: 'other', addrs: [] },
    { name: 'c', role: 'other', addrs: [] },
  ];
  const req = (seq: number) => () => ip4({ src: '198.51.100.1', dst: '198.51.100.2', id: seq, proto: 1 }, icmpEcho(8, 9, seq, bytes(8)));
  const rep = (seq: number) => () => ip4({ src: '198.51.100.2', dst: '198.51.100.1', id: 50 + seq, proto: 1 }, icmpEcho(0, 9, seq, bytes(8)));
  const quoted = ipv4({ src: '198.51.100.1', dst: '198.51.100.2', id: 1, proto: 17 }, udp({ sport: 7000, dport: 53 }, bytes(8)));
  const dns = () => ip4({ src: '198.51.100.1', dst: '198.51.100.2', id: 1, proto: 17 }, udp({ sport: 7000, dport: 53 }, bytes(8)));
  const unreachable = () => ip4({ src: '198.51.100.2', dst: '198.51.100.1', id: 2, proto: 1 }, icmpError(3, 3, quoted));
  const steps = (r: ReturnType<typeof run>) => r.flows[0]!.latency.map((l) => `${l.direction} ${l.between.join('>')}`);

  it('a capture that starts with an echo reply seen c, b, a: the requests go a -> c', () => {
    const r = run([...at([2, 1, 0], 0, rep(1)), ...at([0, 1, 2], 10, req(2)), ...at([2, 1, 0], 11, rep(2))], BARE);
    expect(steps(r)).toEqual(['request a>b', 'request b>c', 'reply c>b', 'reply b>a']);
    expect(r.flows[0]).toMatchObject({ verdict: 'ok', initiator: '198.51.100.1', reached: 'c' });
  });

  it('a capture that starts with an ICMP error seen c, b, a: the quoted request goes a -> c', () => {
    const r = run([...at([2, 1, 0], 0, unreachable), ...at([0, 1, 2], 10, dns)], BARE);
    expect(steps(r)).toEqual(['request a>b', 'request b>c', 'reply c>b', 'reply b>a']);
  });

  // The Docker path's roles without any address; a later packet of another flow ends the trace 10 ms on.
  const NAMELESS: Hop[] = DOCKER_PATH.map((h) => ({ ...h, addrs: [] }));
  const later = () => ip4({ src: '198.51.100.1', dst: '198.51.100.9', id: 77, proto: 17 }, udp({ sport: 1, dport: 2 }, bytes(4)));
  const lone = (hop: number, hops: Hop[]) => run([...at([hop], 0, req(1)), ...at([0], 10, later)], hops).flows[0];

  it('a request seen at the veth, then c1 eth0 (three hops, no address): it travels inward, arrived at c1 eth0', () => {
    const r = run([...at([1, 0], 0, req(1)), ...at([0], 10, later)], NAMELESS.slice(0, 3));
    expect(r.flows[0]).toMatchObject({ verdict: 'no-reply', dropBetween: null, reached: 'c1 eth0' });
  });

  it('a request seen at c1 eth0, the veth, docker0 (no address): it travels outward, the steps in that order', () => {
    const r = run([...at([0, 1, 2], 0, req(1)), ...at([0], 10, later)], NAMELESS.slice(0, 3));
    expect(r.flows[0]!.latency.map((l) => `${l.direction} ${l.between.join('>')} ${l.minUs}`)).toEqual(['request c1 eth0>veth1 10', 'request veth1>docker0 10']);
  });

  it('a lone request at the first hop travels away from it: dropped between c1 eth0 and the veth', () => {
    expect(lone(0, NAMELESS)).toMatchObject({ verdict: 'dropped', dropBetween: ['c1 eth0', 'veth1'] });
  });

  it('a lone request at the veth, before the last hop, travels on: dropped between the veth and docker0', () => {
    expect(lone(1, NAMELESS)).toMatchObject({ verdict: 'dropped', dropBetween: ['veth1', 'docker0'] });
  });

  it('a lone request at the last hop came from beyond it: it travels inward, dropped between the veth and c1 eth0', () => {
    expect(lone(1, NAMELESS.slice(0, 2))).toMatchObject({ verdict: 'dropped', dropBetween: ['veth1', 'c1 eth0'] });
  });

  it('an echo reply seen only at c1 eth0 creating its flow: the container (its address) is the initiator, requests go outward', () => {
    const repIn = (hop: number) => ip4({ src: OUT, dst: C1, id: 51, proto: 1 }, icmpEcho(0, 5, 1, bytes(8)));
    const placed = new FlowTable(new PathModel(DOCKER_PATH)).place(sightings([0], 0, repIn));
    expect(placed).toMatchObject({ direction: 'reply', created: true, flow: { outbound: true, initiator: { addr: parseAddress(C1) } } });
  });
});

describe('a forgotten flow', () => {
  const ping = (seq: number) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: seq, proto: 1 }, icmpEcho(8, 5, seq, bytes(8)));

  it('its conversation coming back starts a new flow, at the same first hop and at another', () => {
    const table = new FlowTable(new PathModel(DOCKER_PATH));
    const old = table.place(sightings(OUTWARD, 0, ping(1)));
    expect(old.created).toBe(true);
    expect(table.place(sightings(OUTWARD, 10, ping(2)))).toMatchObject({ flow: old.flow, created: false });
    table.forget(old.flow);
    const again = table.place(sightings(OUTWARD, 20, ping(3)));
    expect(again.created).toBe(true);
    expect(again.flow).not.toBe(old.flow);
    table.forget(again.flow);
    const fromEth0 = table.place(sightings([3], 30, ping(4)));
    expect(fromEth0.created).toBe(true);
  });

  it('forgetting a flow leaves the conversation keys another flow took over', () => {
    const table = new FlowTable(new PathModel(DOCKER_PATH));
    // Seen first at eth0 alone: a flow of its own there.
    const early = table.place(sightings([3], 0, ping(1)));
    // The flow seen from c1 on: found by its c1 key, it takes eth0's key over.
    const main = table.place(sightings([0, 1, 2], 10, ping(2)));
    table.place(sightings(OUTWARD, 20, ping(3)));
    expect(main.flow).not.toBe(early.flow);
    table.forget(early.flow);
    expect(table.place(sightings([3], 30, ping(4)))).toMatchObject({ flow: main.flow, created: false });
  });
});

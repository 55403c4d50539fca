// How packets are placed in flows (src/correlate/flows.ts), through the tracer on packets built
// in the test: who the initiator is when a capture starts with an answer or an ICMP error,
// which way requests go with and without the container's address, which packets share a flow
// (and which do not: another port, another echo id, another protocol), and a flow's packets
// interleaved with another's at the same hops.
import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import { ACK, SYN, bytes, ethernet, icmpEcho, icmpError, ipv4, tcp, udp } from '../decode/builders.js';
import type { Frame, Hop } from '../../src/model.js';
import { flowJson } from '../../src/render/json.js';
import { C1, DOCKER_PATH, frameAt, HOST, ip4, OUT } from './path-builders.js';


function run(frames: Frame[], hops: Hop[] = DOCKER_PATH) {
  const tracer = createTracer(hops);
  for (const f of frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec)) tracer.push(f);
  const report = tracer.finish();
  return { otherFlows: report.summary.otherFlows, flows: report.flows.map(flowJson) };
}

function along(from: number, to: number, ms: number, at: (hop: number) => Uint8Array): Frame[] {
  const step = from <= to ? 1 : -1;
  const frames: Frame[] = [];
  for (let hop = from, i = 0; hop !== to + step; hop += step, i++) frames.push(frameAt(hop, ms + i * 0.01, at(hop)));
  return frames;
}

const syn = (sport: number, seq = 100) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: seq & 0xffff, proto: 6 }, tcp({ sport: hop === 3 ? sport + 20000 : sport, dport: 80, seq, flags: SYN }));
const synAck = (sport: number, ack = 101) => (hop: number) => ip4({ src: OUT, dst: hop === 3 ? HOST : C1, id: 0, proto: 6 }, tcp({ sport: 80, dport: hop === 3 ? sport + 20000 : sport, seq: 500, ack, flags: SYN | ACK }));
const ack = (sport: number) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 7, proto: 6 }, tcp({ sport: hop === 3 ? sport + 20000 : sport, dport: 80, seq: 101, ack: 501, flags: ACK }));
const echo = (type: number, id: number, seq: number) => (hop: number) =>
  type === 8
    ? ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 40 + seq, proto: 1 }, icmpEcho(8, hop === 3 ? id + 1000 : id, seq, bytes(8)))
    : ip4({ src: OUT, dst: hop === 3 ? HOST : C1, id: 90 + seq, proto: 1 }, icmpEcho(0, hop === 3 ? id + 1000 : id, seq, bytes(8)));

const summary = (r: ReturnType<typeof run>) => r.flows.map((f) => `${f.proto} ${f.initiator}${'port' in f ? '' : ''} -> ${f.responder} ${f.verdict} ${f.packets.request}/${f.packets.reply}`);

describe('who spoke first', () => {
  it('a capture that starts with the SYN-ACK: the initiator is the container, and the answer is a reply', () => {
    const r = run([...along(3, 0, 0, synAck(40000)), ...along(0, 3, 1, ack(40000))]);
    expect(r.flows).toHaveLength(1);
    expect(r.flows[0]).toMatchObject({ proto: 'tcp', initiator: `${C1}:40000`, responder: `${OUT}:80`, packets: { request: 1, reply: 1 } });
  });

  it('a capture that starts with an echo reply: the pinger is the initiator', () => {
    const r = run([...along(3, 0, 0, echo(0, 7, 1)), ...along(0, 3, 1, echo(8, 7, 2)), ...along(3, 0, 2, echo(0, 7, 2))]);
    expect(summary(r)).toEqual([`icmp ${C1} -> ${OUT} ok 1/2`]);
  });

  it('a capture that starts with an ICMP error: the quoted packet\'s sender is the initiator, the error a reply', () => {
    const quoted = ipv4({ src: C1, dst: OUT, id: 5, proto: 17 }, udp({ sport: 5000, dport: 53 }, bytes(8)));
    const error = (hop: number) => ip4({ src: '198.18.0.1', dst: C1, id: 6, proto: 1 }, icmpError(3, 3, quoted));
    const r = run(along(2, 0, 0, error));
    expect(r.flows).toHaveLength(1);
    expect(r.flows[0]).toMatchObject({ proto: 'udp', initiator: `${C1}:5000`, responder: `${OUT}:53`, packets: { request: 0, reply: 1 }, verdict: 'rejected' });
  });

  it('an ICMP error for a known flow joins it as its reply', () => {
    const req = (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 5, proto: 17 }, udp({ sport: hop === 3 ? 25000 : 5000, dport: 53 }, bytes(8)));
    const quoted = (hop: number) => ipv4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 5, proto: 17 }, udp({ sport: hop === 3 ? 25000 : 5000, dport: 53 }, bytes(8)));
    const error = (hop: number) => ip4({ src: OUT, dst: hop === 3 ? HOST : C1, id: 6, proto: 1 }, icmpError(3, 3, quoted(hop)));
    const r = run([...along(0, 3, 0, req), ...along(3, 0, 1, error)]);
    expect(summary(r)).toEqual([`udp ${C1}:5000 -> ${OUT}:53 rejected 1/1`]);
    expect(r.flows[0]!.findings).toMatchObject([{ code: 'rejected', side: 'beyond', beyond: 'eth0' }]);
  });
});

describe('which way requests go', () => {
  const plain: Hop[] = [
    { name: 'a', role: 'other', addrs: [] },
    { name: 'b', role: 'other', addrs: [] },
  ];
  const pkt = (src: string, dst: string, seq: number) => ip4({ src, dst, id: seq, proto: 17 }, udp({ sport: 1000, dport: 2000 }, bytes(4)));

  it('without addresses: the order the hops saw the first packet in (b then a: inbound)', () => {
    const r = run([frameAt(1, 0, pkt('203.0.113.9', '198.18.0.2', 1)), frameAt(0, 0.01, pkt('203.0.113.9', '198.18.0.2', 1))], plain);
    expect(r.flows.map((f) => [f.initiator, f.responder, f.verdict])).toEqual([['203.0.113.9:1000', '198.18.0.2:2000', 'no-reply']]);
    expect(r.flows[0]!.latency.map((l) => l.between.join('>'))).toEqual(['b>a']);
  });

  it('without addresses: a lone sighting at the first hop goes outbound and has arrived nowhere yet', () => {
    const r = run([frameAt(0, 0, pkt('198.18.0.2', '203.0.113.9', 1))], plain);
    expect(r.flows.map((f) => [f.initiator, f.reached, f.dropBetween])).toEqual([['198.18.0.2:1000', 'a', null]]);
  });

  it('with the container\'s address, an inbound request is inbound though its hops saw it in outbound order; the responder as the initiator addressed it', () => {
    const inbound = (hop: number) => ip4({ src: '203.0.113.9', dst: hop === 3 ? HOST : C1, id: 3, proto: 17 }, udp({ sport: 1000, dport: 2000 }, bytes(4)));
    // The container's hop stamped it before the uplink did (clocks of two captures).
    const r = run([frameAt(0, 0, inbound(0)), frameAt(1, 0.01, inbound(1)), frameAt(2, 0.02, inbound(2)), frameAt(3, 0.03, inbound(3))]);
    expect(r.flows.map((f) => [f.initiator, f.responder])).toEqual([['203.0.113.9:1000', `${HOST}:2000`]]);
  });
});

describe('which packets share a flow', () => {
  it('another source port is another flow; the same one joins', () => {
    const r = run([...along(0, 3, 0, syn(40000)), ...along(0, 3, 1, syn(40001, 200)), ...along(3, 0, 2, synAck(40000)), ...along(3, 0, 3, synAck(40001, 201))]);
    expect(summary(r)).toEqual([`tcp ${C1}:40000 -> ${OUT}:80 ok 1/1`, `tcp ${C1}:40001 -> ${OUT}:80 ok 1/1`]);
  });

  it('another echo id is another flow; a reply with the request\'s id joins it', () => {
    const r = run([...along(0, 3, 0, echo(8, 7, 1)), ...along(0, 3, 1, echo(8, 8, 1)), ...along(3, 0, 2, echo(0, 7, 1))]);
    expect(summary(r)).toEqual([`icmp ${C1} -> ${OUT} ok 1/1`, `icmp ${C1} -> ${OUT} no-reply 1/0`]);
  });

  it('flows interleaved packet by packet at the same hops are each counted whole', () => {
    const frames: Frame[] = [];
    for (let i = 0; i < 4; i++) {
      frames.push(...along(0, 3, i * 4, echo(8, 7, i + 1)), ...along(0, 3, i * 4 + 1, echo(8, 8, i + 1)));
      frames.push(...along(3, 0, i * 4 + 2, echo(0, 7, i + 1)), ...along(3, 0, i * 4 + 3, echo(0, 8, i + 1)));
    }
    expect(summary(run(frames))).toEqual([`icmp ${C1} -> ${OUT} ok 4/4`, `icmp ${C1} -> ${OUT} ok 4/4`]);
  });

  it('TCP and UDP between the same ports are two flows', () => {
    const u = (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 9, proto: 17 }, udp({ sport: hop === 3 ? 60000 : 40000, dport: 80 }, bytes(4)));
    const r = run([...along(0, 3, 0, syn(40000)), ...along(0, 3, 1, u), ...along(3, 0, 2, synAck(40000))]);
    expect(summary(r)).toEqual([`tcp ${C1}:40000 -> ${OUT}:80 ok 1/1`, `udp ${C1}:40000 -> ${OUT}:80 no-reply 1/0`]);
  });

  it('a protocol without ports (GRE): requests and answers between the same two addresses are one flow', () => {
    const gre = (src: string, dst: string, id: number) => ip4({ src, dst, id, proto: 47 }, bytes(12, (i) => i + id));
    const out = (id: number) => (hop: number) => gre(hop === 3 ? HOST : C1, OUT, id);
    const back = (id: number) => (hop: number) => gre(OUT, hop === 3 ? HOST : C1, id);
    const r = run([...along(0, 3, 0, out(1)), ...along(3, 0, 1, back(2)), ...along(0, 3, 2, out(3))]);
    expect(summary(r)).toEqual([`ip-proto-47 ${C1} -> ${OUT} ok 2/1`]);
  });

  it('another container\'s packets on the shared hops only are left out, and counted', () => {
    const other = (hop: number) => ip4({ src: hop === 3 ? HOST : '198.18.0.3', dst: OUT, id: 77, proto: 1 }, icmpEcho(8, 9, 1, bytes(8)));
    const r = run([...along(0, 3, 0, echo(8, 7, 1)), ...along(2, 3, 0.5, other), ...along(3, 0, 1, echo(0, 7, 1))]);
    expect(summary(r)).toEqual([`icmp ${C1} -> ${OUT} ok 1/1`]);
    expect(r.otherFlows).toBe(1);
  });
});

// Answers and rejections of flows that come in from outside (requests travel eth0 -> c1 eth0,
// replies the other way), and resets and sources the outbound tests leave open, through the
// tracer on packets built in the test (src/correlate/account.ts): where an answer to an inbound
// echo places its request, the host's REJECT of an inbound ping, the initiator's reset crossing
// hops that did not record it, a host whose uplink has a private address of its own, and an ICMP
// error that a nearer hop saw first. Each with the case where the finding must not appear.
import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import { ACK, RST, SYN, bytes, icmpEcho, icmpError, ipv4, tcp } from '../decode/builders.js';
import type { Frame, Hop } from '../../src/model.js';
import { flowJson } from '../../src/render/json.js';
import { C1, DOCKER_PATH, frameAt, GW, HOST, ip4, OUT } from './path-builders.js';


function trace(frames: Frame[], hops: Hop[] = DOCKER_PATH) {
  const tracer = createTracer(hops);
  for (const f of frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec)) tracer.push(f);
  return tracer.finish().flows.map(flowJson);
}

/** One packet at the hops listed, in that order, 10 us apart from `ms`. */
function at(hops: number[], ms: number, packet: (hop: number) => Uint8Array): Frame[] {
  return hops.map((hop, i) => frameAt(hop, ms + i * 0.01, packet(hop)));
}
const INWARD = [3, 2, 1, 0];
const OUTWARD = [0, 1, 2, 3];
/** Another flow's packet at c1 eth0, to move the end of the trace. */
const endAt = (ms: number) => frameAt(0, ms, ip4({ src: C1, dst: '203.0.113.9', id: 999, proto: 17 }, new Uint8Array(8)));
const gaps = (flow: ReturnType<typeof flowJson> | undefined) => flow!.findings.filter((f) => f.code === 'capture-gap').map((f) => [('at' in f && f.at) || '', 'count' in f ? f.count : 0]);

// 203.0.113.2 pings c1 by its own address (a route to the bridge subnet, no NAT): the requests
// come in by eth0 (TTL 64 there, 63 once routed), the replies go out unchanged.
const inReq = (seq: number) => (hop: number) => ip4({ src: OUT, dst: C1, id: seq, ttl: hop === 3 ? 64 : 63, proto: 1 }, icmpEcho(8, 9, seq, bytes(8)));
const inRep = (seq: number) => (hop: number) => ip4({ src: C1, dst: OUT, id: 100 + seq, ttl: hop === 3 ? 63 : 64, proto: 1 }, icmpEcho(0, 9, seq, bytes(8)));
const inEchoes = (ms: number, seqs: number[]) => seqs.flatMap((seq, i) => [...at(INWARD, ms + i * 1000, inReq(seq)), ...at(OUTWARD, ms + i * 1000 + 1, inRep(seq))]);

describe('an inbound ping', () => {
  it('answered at every hop: ok, the requests reached c1 eth0', () => {
    const [flow] = trace(inEchoes(0, [1, 2]));
    expect(flow).toMatchObject({ initiator: OUT, responder: C1, verdict: 'ok', reached: 'c1 eth0', packets: { request: 2, reply: 2 } });
    expect(flow!.findings).toEqual([]);
  });

  it('c1 eth0 missed a request and docker0 its reply (so the reply settles after the request): taken back, ok, a gap at each', () => {
    const [flow] = trace([...inEchoes(0, [1]), ...at([3, 2, 1], 1000, inReq(2)), ...at([0, 1, 3], 1001, inRep(2)), ...inEchoes(2000, [3])]);
    expect(flow).toMatchObject({ verdict: 'ok', reached: 'c1 eth0', dropBetween: null, packets: { request: 3, reply: 3 } });
    expect(gaps(flow)).toEqual([['docker0', 1], ['c1 eth0', 1]]);
  });

  it('NOT: the same request with no reply: partial, lost between the veth and c1 eth0', () => {
    const [flow] = trace([...inEchoes(0, [1]), ...at([3, 2, 1], 1000, inReq(2)), ...inEchoes(2000, [3])]);
    expect(flow).toMatchObject({ verdict: 'partial', dropBetween: ['veth1', 'c1 eth0'], packets: { request: 3, reply: 2 } });
    expect(gaps(flow)).toEqual([]);
  });
});

describe("the host's REJECT of an inbound ping", () => {
  // Rejected in FORWARD: the request is seen coming in at eth0 only, the host's error (from its
  // uplink address, quoting the request) leaves by eth0.
  const prohibited = (seq: number) => (_hop: number) => ip4({ src: HOST, dst: OUT, id: 300 + seq, proto: 1 }, icmpError(3, 10, ipv4({ src: OUT, dst: C1, id: seq, ttl: 63, proto: 1 }, icmpEcho(8, 9, seq, bytes(8)))));

  it('rejected on the path between eth0 and docker0; no capture gap at the hops the requests never reached', () => {
    const [flow] = trace([...at([3], 0, inReq(1)), ...at([3], 0.05, prohibited(1)), ...at([3], 1000, inReq(2)), ...at([3], 1000.05, prohibited(2)), endAt(2000)]);
    expect(flow).toMatchObject({ initiator: OUT, verdict: 'rejected', reached: 'eth0', dropBetween: null, packets: { request: 2, reply: 2 } });
    expect(flow!.findings).toEqual([expect.objectContaining({ code: 'rejected', count: 2, side: 'path', between: ['eth0', 'docker0'] })]);
  });

  it("docker0 missed a request the host's error shows reached it: a capture gap at docker0 there, and only there", () => {
    // Here the REJECT is on the way out of docker0: the requests are seen at eth0 and docker0, the
    // error (from the bridge's address) first at docker0.
    const fromBridge = (seq: number) => (_hop: number) => ip4({ src: GW, dst: OUT, id: 300 + seq, proto: 1 }, icmpError(3, 10, ipv4({ src: OUT, dst: C1, id: seq, ttl: 63, proto: 1 }, icmpEcho(8, 9, seq, bytes(8)))));
    const [flow] = trace([...at([3], 0, inReq(1)), ...at([2, 3], 0.05, fromBridge(1)), ...at([3, 2], 1000, inReq(2)), ...at([2, 3], 1000.05, fromBridge(2)), endAt(2000)]);
    expect(flow).toMatchObject({ verdict: 'rejected', reached: 'docker0', dropBetween: null });
    expect(gaps(flow)).toEqual([['docker0', 1]]);
  });
});

describe('an error a nearer hop saw first', () => {
  // The host's "host unreachable" for a request that got to docker0: docker0's capture missed the
  // error, first seen at the veth.
  const hostUnreachable = (seq: number) => (_hop: number) => ip4({ src: GW, dst: C1, id: 300 + seq, proto: 1 }, icmpError(3, 1, ipv4({ src: C1, dst: OUT, id: seq, proto: 1 }, icmpEcho(8, 5, seq, bytes(8)))));
  const req = (seq: number) => (hop: number) => ip4({ src: C1, dst: OUT, id: seq, proto: 1 }, icmpEcho(8, 5, seq, bytes(8)));

  it('the requests still reached docker0: rejected between docker0 and eth0 (where the error was made is not known to be before docker0)', () => {
    const [flow] = trace([...at([0, 1, 2], 0, req(1)), ...at([1, 0], 0.05, hostUnreachable(1)), ...at([0, 1, 2], 1000, req(2)), ...at([2, 1, 0], 1000.05, hostUnreachable(2)), endAt(2000)]);
    expect(flow).toMatchObject({ verdict: 'rejected', reached: 'docker0', dropBetween: null });
    expect(flow!.findings).toEqual([expect.objectContaining({ code: 'rejected', count: 2, side: 'path', between: ['docker0', 'eth0'] })]);
  });
});

describe("the initiator's reset", () => {
  const syn = (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 1, proto: 6 }, tcp({ sport: hop === 3 ? 60000 : 40000, dport: 80, seq: 100, flags: SYN }));
  const synAck = (hop: number) => ip4({ src: OUT, dst: hop === 3 ? HOST : C1, id: 2, proto: 6 }, tcp({ sport: 80, dport: hop === 3 ? 60000 : 40000, seq: 500, ack: 101, flags: SYN | ACK }));
  const rst = (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 3, proto: 6 }, tcp({ sport: hop === 3 ? 60000 : 40000, dport: 80, seq: 101, flags: RST }));

  it('seen only at docker0 and eth0 after an answer: it left c1 and crossed the veth unseen: gaps there, a close by the initiator', () => {
    const [flow] = trace([...at(OUTWARD, 0, syn), ...at(INWARD, 1, synAck), ...at([2, 3], 2, rst), endAt(2000)]);
    expect(flow).toMatchObject({ verdict: 'ok', packets: { request: 2, reply: 1 } });
    expect(gaps(flow)).toEqual([['c1 eth0', 1], ['veth1', 1]]);
    expect(flow!.findings.map((f) => f.code)).toContain('reset-close');
  });

  it('NOT: seen at every hop: no gap', () => {
    const [flow] = trace([...at(OUTWARD, 0, syn), ...at(INWARD, 1, synAck), ...at(OUTWARD, 2, rst), endAt(2000)]);
    expect(gaps(flow)).toEqual([]);
  });
});

describe('a host whose uplink has a private address', () => {
  // The host sits on 192.168.1.0/24: MASQUERADE rewrites c1's source to 192.168.1.5, itself a
  // private address. That is SNAT done, not a private source leaking out.
  const PRIVATE_UPLINK: Hop[] = [...DOCKER_PATH.slice(0, 3), { name: 'eth0', role: 'uplink', addrs: ['192.168.1.5/24'] }];
  const req = (src: string) => (seq: number) => (hop: number) => ip4({ src: hop === 3 ? src : C1, dst: '192.168.1.1', id: seq, ttl: hop === 3 ? 63 : 64, proto: 1 }, icmpEcho(8, 5, seq, bytes(8)));
  const rep = (dst: string) => (seq: number) => (hop: number) => ip4({ src: '192.168.1.1', dst: hop === 3 ? dst : C1, id: 100 + seq, ttl: hop === 3 ? 64 : 63, proto: 1 }, icmpEcho(0, 5, seq, bytes(8)));
  const echo = (src: string) => [...at(OUTWARD, 0, req(src)(1)), ...at(INWARD, 1, rep(src)(1))];
  // No reply came (so a no-snat finding would not be left out beside replies that came).
  const unanswered = (src: string) => [...at(OUTWARD, 0, req(src)(1)), ...at(OUTWARD, 1000, req(src)(2)), endAt(2000)];

  it('answered: ok, the SNAT and un-SNAT rewrites, no finding', () => {
    const [flow] = trace(echo('192.168.1.5'), PRIVATE_UPLINK);
    expect(flow).toMatchObject({ verdict: 'ok' });
    expect(flow!.findings).toEqual([]);
    expect(flow!.rewrites.map((r) => [r.field, r.from, r.to])).toEqual([['src', C1, '192.168.1.5'], ['dst', '192.168.1.5', C1]]);
  });

  it('NOT no-snat when no reply comes: the source was rewritten (to 192.168.1.5) before the uplink', () => {
    const [flow] = trace(unanswered('192.168.1.5'), PRIVATE_UPLINK);
    expect(flow).toMatchObject({ verdict: 'no-reply' });
    expect(flow!.findings.map((f) => f.code)).toEqual([]);
  });

  it("no-snat where c1's own address leaves by the uplink and no reply comes", () => {
    const [flow] = trace(unanswered(C1), PRIVATE_UPLINK);
    expect(flow).toMatchObject({ verdict: 'no-reply' });
    expect(flow!.findings).toEqual([expect.objectContaining({ code: 'no-snat', at: 'eth0' })]);
  });
});

describe("an inbound ping whose container's capture ended (the container stopped)", () => {
  // 10 pings from 203.0.113.2, 100 ms apart; c1 eth0's capture ends at 450 ms: the first 5 are
  // answered, the last 5 are seen up to the veth and never answered.
  function frames(): Frame[] {
    return Array.from({ length: 10 }, (_, seq) => (seq < 5 ? inEchoes(seq * 100, [seq]) : at([3, 2, 1], seq * 100, inReq(seq)))).flat();
  }
  function run(ended: boolean) {
    const tracer = createTracer(DOCKER_PATH);
    const end = frameAt(0, 450, new Uint8Array());
    frames().forEach((frame, i) => {
      tracer.push(frame);
      if (ended && i === 40) tracer.hopEnded(0, end.tsSec, end.tsNsec);
    });
    const stop = frameAt(3, 1500, new Uint8Array());
    tracer.tick(stop.tsSec, stop.tsNsec);
    return tracer.finish().flows.map(flowJson);
  }

  it('the last 5 could reach c1 eth0 only after its capture had ended: not captured there, and none answered', () => {
    const [flow] = run(true);
    expect(flow).toMatchObject({ initiator: OUT, verdict: 'partial', reached: 'c1 eth0', dropBetween: null, packets: { request: 10, reply: 5 } });
    expect(flow!.findings).toEqual([expect.objectContaining({ code: 'not-captured', direction: 'request', count: 5, at: 'c1 eth0', unanswered: 5 })]);
  });

  it('NOT with the end untold: 5 of 10 requests vanished between the veth and c1 eth0', () => {
    const [flow] = run(false);
    expect(flow).toMatchObject({ verdict: 'partial', dropBetween: ['veth1', 'c1 eth0'] });
    expect(flow!.findings.map((f) => f.code)).not.toContain('not-captured');
  });
});

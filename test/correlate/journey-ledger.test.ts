// What each settled journey adds to its flow and tells its listeners (src/correlate/account.ts),
// through the tracer on packets built in the test, each with the case where it must not happen:
// the journey events (missed hops, where it vanished, open at the end), the flow's first and
// last times when journeys settle out of time order, a packet seen at one hop only, clocks that
// stamp a packet's hops in reverse, where an answer made on the path starts, a ping to the
// bridge's own address that gets no reply, distinct rewrites kept once, the echo ledger (errors
// quoting echo requests, the round-trip bound, where the flow turns), and resets.
import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import { ACK, RST, SYN, bytes, icmpEcho, icmpError, ipv4, tcp } from '../decode/builders.js';
import type { Frame, Hop, Journey } from '../../src/model.js';
import { flowJson } from '../../src/render/json.js';
import { parseAddress } from '../../src/addresses.js';
import { C1, DOCKER_PATH, frameAt, GW, HOST, ip4, OUT } from './path-builders.js';


function trace(frames: Frame[], hops: Hop[] = DOCKER_PATH) {
  const tracer = createTracer(hops);
  const journeys: Journey[] = [];
  tracer.subscribe((e) => {
    if (e.kind === 'journey') journeys.push(e.journey);
  });
  for (const f of frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec)) tracer.push(f);
  const report = tracer.finish();
  return { report, journeys, flows: report.flows.map(flowJson) };
}

/** One packet at the hops listed, in that order, `stepMs` apart from `ms`. */
function at(hops: number[], ms: number, packet: (hop: number) => Uint8Array, stepMs = 0.01): Frame[] {
  return hops.map((hop, i) => frameAt(hop, ms + i * stepMs, packet(hop)));
}
const OUTWARD = [0, 1, 2, 3];
const BACK = [3, 2, 1, 0];

/** An echo through MASQUERADE (src -> 203.0.113.1 at eth0, TTL -1 from docker0 on). */
const req = (seq: number, dst = OUT) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst, id: seq, ttl: hop === 3 ? 63 : 64, proto: 1 }, icmpEcho(8, 5, seq, bytes(8)));
const rep = (seq: number, src = OUT) => (hop: number) => ip4({ src, dst: hop === 3 ? HOST : C1, id: 100 + seq, ttl: hop === 3 ? 64 : 63, proto: 1 }, icmpEcho(0, 5, seq, bytes(8)));
/** An ICMP error from `from` quoting echo request `seq` as c1 sent it. */
const errorFor = (seq: number, from: string, type = 3, code = 1, rest?: number[]) => (hop: number) =>
  ip4({ src: from, dst: hop === 3 ? HOST : C1, id: 300 + seq, proto: 1 }, icmpError(type, code, ipv4({ src: hop === 3 ? HOST : C1, dst: OUT, id: seq, proto: 1 }, icmpEcho(8, 5, seq, bytes(8))), rest));
/** Answered echoes, 1 s apart from `ms`. */
const echoes = (ms: number, seqs: number[]) => seqs.flatMap((seq, i) => [...at(OUTWARD, ms + i * 1000, req(seq)), ...at(BACK, ms + i * 1000 + 1, rep(seq))]);
/** Another flow's packet at c1 eth0, to move the end of the trace. */
const endAt = (ms: number) => frameAt(0, ms, ip4({ src: C1, dst: '203.0.113.9', id: 999, proto: 17 }, new Uint8Array(8)));
const outcome = (j: Journey) => Object.fromEntries(Object.entries(j).filter(([k]) => !['flowId', 'direction', 'ascending', 'sightings'].includes(k)));

describe('the journey events', () => {
  it('seen everywhere: nothing to say; missed at the veth: missedAt; missed at the veth and lost after docker0: both; only the first hop: vanished', () => {
    const { journeys } = trace([
      ...echoes(0, [1]),
      ...at([0, 2, 3], 1000, req(2)), ...at(BACK, 1001, rep(2)),
      ...at([0, 2], 2000, req(3)),
      ...at([0], 3000, req(4)),
      ...echoes(4000, [5]),
    ]);
    const requests = journeys.filter((j) => j.direction === 'request').sort((a, b) => a.sightings[0]!.t - b.sightings[0]!.t);
    expect(requests.map((j) => [j.sightings.map((s) => s.hop), outcome(j)])).toStrictEqual([
      [[0, 1, 2, 3], {}],
      [[0, 2, 3], { missedAt: [1] }],
      [[0, 2], { vanishedBetween: [2, 3], missedAt: [1] }],
      [[0], { vanishedBetween: [0, 1] }],
      [[0, 1, 2, 3], {}],
    ]);
  });

  it('open when the capture ended: openAtEnd, then judged (atEnd): lost past the 2 ms floor, in flight within it', () => {
    const { journeys } = trace([...echoes(0, [1]), ...at([0, 1, 2], 1000, req(2)), ...at([0, 1], 1008, req(3)), endAt(1009.5)]);
    const open = journeys.filter((j) => j.openAtEnd && j.flowId === 1);
    expect(open.map((j) => [j.sightings.map((s) => s.hop), j.atEnd])).toStrictEqual([
      [[0, 1, 2], { between: [2, 3], inFlight: false }],
      [[0, 1], { between: [1, 2], inFlight: true }],
    ]);
  });

  it('a request open at the end whose answer settled after it is taken back: no atEnd (neither in flight nor lost)', () => {
    const { journeys } = trace([...echoes(0, [1]), ...at([0, 1, 2], 1000, req(2)), ...at([3, 2, 0], 1001, rep(2))]);
    const open = journeys.filter((j) => j.openAtEnd);
    expect(open.map((j) => [j.direction, j.sightings.map((s) => s.hop), j.atEnd])).toStrictEqual([['request', [0, 1, 2], undefined]]);
  });

  it('a journey stamped against its travel order keeps its time order for the views', () => {
    // c1 eth0 stamps the request after the veth and docker0 (another clock).
    const { journeys, flows } = trace([...at([1, 2, 3, 0], 0, req(1)), ...at(BACK, 1, rep(1))]);
    expect(journeys[0]!.sightings.map((s) => s.hop)).toEqual([1, 2, 3, 0]);
    expect(flows[0]).toMatchObject({ verdict: 'ok', packets: { request: 1, reply: 1 } });
  });
});

describe('a flow\'s times when journeys settle out of time order', () => {
  it('the request missed at the veth settles a window after its reply, which created the flow: first and last seen still span both', () => {
    const { flows } = trace([...at([0, 2, 3], 0, req(1)), ...at(BACK, 1, rep(1))]);
    expect(flows[0]).toMatchObject({ firstSeen: 0, lastSeen: 0.00103 });
  });
});

describe('clocks that stamp every hop of a packet in reverse', () => {
  it('each packet is still followed in travel order: ok, no gap, the steps in path order with negative latencies', () => {
    const { flows } = trace([...at(OUTWARD, 0.03, req(1), -0.01), ...at(BACK, 1.03, rep(1), -0.01)]);
    expect(flows[0]).toMatchObject({ verdict: 'ok', findings: [], packets: { request: 1, reply: 1 } });
    expect(flows[0]!.latency.map((l) => `${l.direction} ${l.between.join('>')} ${l.minUs}`)).toEqual([
      'request c1 eth0>veth1 -10', 'request veth1>docker0 -10', 'request docker0>eth0 -10',
      'reply eth0>docker0 -10', 'reply docker0>veth1 -10', 'reply veth1>c1 eth0 -10',
    ]);
  });
});

describe('a later packet across the same hop pair, settled before an earlier one', () => {
  it('the request last seen at docker0 is lost, not in flight, though the journey settled last crossed docker0 -> eth0 earlier', () => {
    // docker0 -> eth0 takes 3 ms (the transit bound is 6 ms). Seq 1 (missed at the veth) settles
    // only when the trace ends; seq 3, seen everywhere, settled at once: it crossed after seq 2.
    const slowAt = (seq: number, ms: number, hops: number[]) => hops.map((hop) => frameAt(hop, ms + (hop === 3 ? 3.02 : hop * 0.01), req(seq)(hop)));
    const { flows } = trace([...slowAt(1, 0, [0, 2, 3]), ...slowAt(2, 5, [0, 1, 2]), ...slowAt(3, 6, OUTWARD), endAt(9.5)]);
    expect(flows[0]).toMatchObject({ verdict: 'no-reply', packets: { request: 3, reply: 0 } });
    expect(flows[0]!.findings.map((f) => f.code)).toEqual(['capture-gap', 'partial-loss']);
  });
});

describe('a packet seen at one hop only', () => {
  it('a request seen only in c1 (a later one went through): partial, lost between c1 eth0 and the veth', () => {
    const { flows } = trace([...echoes(0, [1]), ...at([0], 1000, req(2)), ...echoes(2000, [3])]);
    expect(flows[0]).toMatchObject({ verdict: 'partial', dropBetween: ['c1 eth0', 'veth1'] });
  });

  it('replies seen only at eth0: reply-dropped between eth0 and docker0', () => {
    const { flows } = trace([...at(OUTWARD, 0, req(1)), ...at([3], 1, rep(1)), ...at(OUTWARD, 1000, req(2)), ...at([3], 1001, rep(2)), endAt(2000)]);
    expect(flows[0]).toMatchObject({ verdict: 'reply-dropped', dropBetween: ['eth0', 'docker0'], packets: { request: 2, reply: 2 } });
  });
});

describe('where a packet is first expected', () => {
  it('a request seen only at eth0, after others crossed every hop: c1 eth0, the veth and docker0 missed it', () => {
    const { flows } = trace([...echoes(0, [1]), ...at([3], 1000, req(2)), ...at(BACK, 1001, rep(2))]);
    expect(flows[0]).toMatchObject({ verdict: 'ok' });
    expect(flows[0]!.findings.map((f) => [f.code, 'at' in f ? f.at : '', 'count' in f ? f.count : 0])).toEqual([
      ['capture-gap', 'c1 eth0', 1], ['capture-gap', 'veth1', 1], ['capture-gap', 'docker0', 1],
    ]);
  });

  it("a capture that starts with 203.0.113.2's port unreachable seen from docker0 inward: it crossed eth0, which saw none of it", () => {
    const dns = (hop: number) => ip4({ src: OUT, dst: hop === 3 ? HOST : C1, id: 8, proto: 1 }, icmpError(3, 3, ipv4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 7, proto: 17 }, new Uint8Array([0x13, 0x88, 0, 53, 0, 16, 0, 0]))));
    const { flows } = trace(at([2, 1, 0], 0, dns));
    expect(flows[0]!.findings.map((f) => f.code)).toEqual(['rejected', 'hop-not-seeing-flow']);
    expect(flows[0]!.findings[1]).toMatchObject({ at: 'eth0', count: 1 });
  });

  it("NOT: the host's reset carrying 203.0.113.2's address, first seen at docker0 where the SYN was last seen: made on the path, eth0 not said to miss it", () => {
    const syn = (hop: number) => ip4({ src: C1, dst: OUT, id: 1, proto: 6 }, tcp({ sport: 40000, dport: 80, seq: 100, flags: SYN }));
    const reset = (hop: number) => ip4({ src: OUT, dst: C1, id: 0, proto: 6 }, tcp({ sport: 80, dport: 40000, seq: 0, ack: 101, flags: RST | ACK }));
    const { flows } = trace([...at([0, 1, 2], 0, syn), ...at([2, 1, 0], 0.05, reset)]);
    expect(flows[0]).toMatchObject({ verdict: 'rejected', reached: 'docker0' });
    expect(flows[0]!.findings).toMatchObject([{ code: 'rejected', side: 'path', between: ['docker0', 'eth0'] }]);
    expect(flows[0]!.findings).toHaveLength(1);
  });
});

describe('a ping to the bridge\'s own address', () => {
  it('requests that reached docker0 and got no reply: no-reply (they ended there), not dropped before eth0', () => {
    const { flows } = trace([...at([0, 1, 2], 0, req(1, GW)), ...at([0, 1, 2], 1000, req(2, GW)), endAt(2000)]);
    expect(flows[0]).toMatchObject({ verdict: 'no-reply', reached: 'docker0', dropBetween: null });
  });
});

describe('rewrites', () => {
  it('two SNAT addresses taking turns: each distinct rewrite once', () => {
    const via = (seq: number, nat: string) => (hop: number) => ip4({ src: hop === 3 ? nat : C1, dst: OUT, id: seq, proto: 1 }, icmpEcho(8, 5, seq, bytes(8)));
    const { flows } = trace([...at(OUTWARD, 0, via(1, HOST)), ...at(OUTWARD, 10, via(2, '203.0.113.7')), ...at(OUTWARD, 20, via(3, HOST)), ...at(OUTWARD, 30, via(4, '203.0.113.7'))]);
    expect(flows[0]!.rewrites).toEqual([
      { between: ['docker0', 'eth0'], direction: 'request', field: 'src', from: C1, to: HOST },
      { between: ['docker0', 'eth0'], direction: 'request', field: 'src', from: C1, to: '203.0.113.7' },
    ]);
  });
});

describe('the echo ledger', () => {
  it("an echo answered by a router's host unreachable from beyond eth0 is not unanswered", () => {
    const { flows } = trace([...echoes(0, [1]), ...at(OUTWARD, 1000, req(2)), ...at(BACK, 1001, errorFor(2, '203.0.113.9')), ...echoes(2000, [3]), endAt(3000)]);
    expect(flows[0]!.findings).toEqual([
      expect.objectContaining({ code: 'rejected', count: 1, side: 'beyond', beyond: 'eth0' }),
    ]);
  });

  it('NOT: the same echo with no answer at all is unanswered', () => {
    const { flows } = trace([...echoes(0, [1]), ...at(OUTWARD, 1000, req(2)), ...echoes(2000, [3]), endAt(3000)]);
    expect(flows[0]!.findings).toEqual([
      { code: 'unanswered', count: 1, of: 3, beyond: 'eth0', message: '1 of 3 requests reached eth0 and no reply came back from beyond it' },
    ]);
  });

  it('the first rejection is the one reported; an error without an MTU has no mtu field', () => {
    const { report } = trace([
      ...at(OUTWARD, 0, req(1)), ...at(BACK, 0.5, errorFor(1, '203.0.113.9', 3, 1)),
      ...at(OUTWARD, 1000, req(2)), ...at(BACK, 1000.5, errorFor(2, '203.0.113.10', 3, 13)),
    ]);
    const rejected = report.flows[0]!.findings[0]!;
    expect(rejected).toMatchObject({ code: 'rejected', count: 2 });
    expect((rejected as { answer: unknown }).answer).toStrictEqual({ kind: 'icmp-error', v6: false, type: 3, code: 1, from: parseAddress('203.0.113.9') });
  });

  it('an answer first seen at docker0 (eth0 missed the reply) does not move the turn back from eth0: the unanswered echo is beyond eth0', () => {
    const { flows } = trace([
      ...echoes(0, [1]),
      ...at(OUTWARD, 1000, req(2)),
      ...at(OUTWARD, 2000, req(3)), ...at([2, 1, 0], 2001, rep(3)),
      endAt(3000),
    ]);
    expect(flows[0]!.findings.filter((f) => f.code === 'unanswered')).toEqual([
      { code: 'unanswered', count: 1, of: 3, beyond: 'eth0', message: '1 of 3 requests reached eth0 and no reply came back from beyond it' },
    ]);
  });

  describe('the round-trip bound: twice the longest round trip seen (2 ms at least)', () => {
    // Replies 5 ms after their request left eth0, then one 1 ms after: the longest stays 5 ms.
    const slow = (seq: number, ms: number, rttMs: number) => [...at(OUTWARD, ms, req(seq)), ...at(BACK, ms + 0.03 + rttMs, rep(seq))];
    const base = () => [...slow(1, 0, 5), ...slow(2, 1000, 1)];
    const last = 2000.03;

    it('an echo left eth0 9.9 ms before the end: its answer may still come (awaiting)', () => {
      const { flows } = trace([...base(), ...at(OUTWARD, 2000, req(3)), endAt(last + 9.9)]);
      expect(flows[0]!.findings).toEqual([
        { code: 'in-flight', direction: 'request', count: 1, beyond: 'eth0', message: '1 request left eth0 so shortly before the capture ended that its answer may still have been on the way' },
      ]);
    });

    it('NOT: 10.1 ms before the end, past twice the longest: unanswered', () => {
      const { flows } = trace([...base(), ...at(OUTWARD, 2000, req(3)), endAt(last + 10.1)]);
      expect(flows[0]!.findings.map((f) => f.code)).toEqual(['unanswered']);
    });

    it('NOT: 100 ms before the end: unanswered (the bound is not the window)', () => {
      const { flows } = trace([...base(), ...at(OUTWARD, 2000, req(3)), endAt(last + 100)]);
      expect(flows[0]!.findings.map((f) => f.code)).toEqual(['unanswered']);
    });
  });
});

describe('answers noted on a request counted short before its answer came', () => {
  const hostUnreachable = (seq: number) => errorFor(seq, GW);

  it('every request missed at docker0, the host\'s errors first seen there: the requests reached docker0', () => {
    const { flows } = trace([...at([0, 1], 0, req(1)), ...at([2, 1, 0], 0.05, hostUnreachable(1)), ...at([0, 1], 1000, req(2)), ...at([2, 1, 0], 1000.05, hostUnreachable(2))]);
    expect(flows[0]).toMatchObject({ verdict: 'rejected', reached: 'docker0' });
    expect(flows[0]!.findings.map((f) => [f.code, 'at' in f ? f.at : '', 'count' in f ? f.count : 0])).toEqual([['rejected', '', 2], ['capture-gap', 'docker0', 2]]);
  });

  it('a request taken back to docker0 does not lower how far the requests got (an earlier one reached eth0)', () => {
    const { flows } = trace([...at(OUTWARD, 0, req(1)), ...at([0, 1], 1000, req(2)), ...at([2, 1, 0], 1000.05, hostUnreachable(2)), endAt(2000)]);
    expect(flows[0]).toMatchObject({ verdict: 'rejected', reached: 'eth0' });
  });

  it('open at the end, last seen at the veth, the host\'s error first seen at docker0: judged at the end between docker0 and eth0', () => {
    const { journeys, flows } = trace([...at([0, 1], 0, req(1)), ...at([2, 1, 0], 0.05, hostUnreachable(1))]);
    const open = journeys.filter((j) => j.openAtEnd && j.direction === 'request');
    expect(open.map((j) => j.atEnd)).toStrictEqual([{ between: [2, 3], inFlight: false }]);
    expect(flows[0]).toMatchObject({ verdict: 'rejected', reached: 'docker0' });
  });

  it('answered from the veth (docker0 and eth0 saw nothing of the flow): the request got to the veth, where the flow turns: ok', () => {
    const { flows } = trace([...at([0], 0, req(1)), ...at([1, 0], 0.5, rep(1)), ...at([0], 1000, req(2)), ...at([1, 0], 1000.5, rep(2)), endAt(2000)]);
    expect(flows[0]).toMatchObject({ verdict: 'ok', reached: 'veth1', packets: { request: 2, reply: 2 } });
    expect(flows[0]!.findings).toEqual([{ code: 'capture-gap', at: 'veth1', count: 2, message: '2 packets that crossed veth1 were missing there (seen farther along, or answered from veth1 or beyond): capture loss, not a network drop' }]);
  });
});

describe('resets', () => {
  const syn = (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 1, proto: 6 }, tcp({ sport: hop === 3 ? 60000 : 40000, dport: 80, seq: 100, flags: SYN }));
  const rst = (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 2, proto: 6 }, tcp({ sport: hop === 3 ? 60000 : 40000, dport: 80, seq: 101, flags: RST }));

  it('the initiator resetting a connection nothing answered is no close', () => {
    const { flows } = trace([...at(OUTWARD, 0, syn), ...at(OUTWARD, 1000, rst), endAt(2000)]);
    expect(flows[0]!.findings.map((f) => f.code)).not.toContain('reset-close');
    expect(flows[0]).toMatchObject({ verdict: 'no-reply', packets: { request: 2, reply: 0 } });
  });
});

// In flight or vanished (src/correlate/inflight.ts) at the edges, through the tracer: a request
// last seen exactly the transit bound before the end of the trace may still be on its way, one
// nanosecond more and it vanished; the bound grows with the transit the trace shows for that hop
// pair; an answered echo request or one answered by an error is never in flight; an echo that
// reached the end is unanswered once the round-trip bound has passed, awaiting before.
import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import { bytes, icmpEcho, icmpError, ipv4, udp } from '../decode/builders.js';
import type { Frame } from '../../src/model.js';
import { flowJson } from '../../src/render/json.js';
import { C1, DOCKER_PATH, frameAt, HOST, ip4, OUT } from './path-builders.js';


function run(frames: Frame[]) {
  const tracer = createTracer(DOCKER_PATH);
  for (const f of frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec)) tracer.push(f);
  return tracer.finish().flows.map(flowJson);
}

/** Frames of one packet at hops from..to, `stepMs` apart. */
function along(from: number, to: number, ms: number, at: (hop: number) => Uint8Array, stepMs = 0.01): Frame[] {
  const frames: Frame[] = [];
  for (let hop = from, i = 0; hop <= to; hop++, i++) frames.push(frameAt(hop, ms + i * stepMs, at(hop)));
  return frames;
}

const req = (seq: number) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: seq, proto: 1 }, icmpEcho(8, 5, seq, bytes(8)));
const rep = (seq: number) => (hop: number) => ip4({ src: OUT, dst: hop === 3 ? HOST : C1, id: 100 + seq, proto: 1 }, icmpEcho(0, 5, seq, bytes(8)));
/** Another flow's packet at c1 eth0: only to set where the trace ends. */
const endAt = (ms: number) => frameAt(0, ms, ip4({ src: C1, dst: '203.0.113.9', id: 999, proto: 17 }, udp({ sport: 1, dport: 2 }, bytes(4))));

const inFlight = (flows: ReturnType<typeof run>) => flows[0]!.findings.filter((f) => f.code === 'in-flight').map((f) => ('count' in f ? f.count : 0));

describe('the transit bound at the end of the trace', () => {
  it('exactly the 2 ms floor after it was last seen: still on its way', () => {
    const flows = run([...along(0, 2, 0, req(1)), endAt(2 + 0.02)]);
    expect(flows[0]).toMatchObject({ verdict: 'no-reply', dropBetween: null });
    expect(inFlight(flows)).toEqual([1]);
  });

  it('one nanosecond past it: vanished between docker0 and eth0', () => {
    const flows = run([...along(0, 2, 0, req(1)), endAt(2 + 0.02 + 0.000001)]);
    expect(flows[0]).toMatchObject({ verdict: 'dropped', dropBetween: ['docker0', 'eth0'] });
    expect(inFlight(flows)).toEqual([]);
  });

  it('a slow docker0 -> eth0 seen earlier in the trace (3 ms) widens the bound to twice that', () => {
    const slow = () => [...along(0, 2, 0, req(1)), frameAt(3, 3.02, req(1)(3)), ...along(0, 2, 10, req(2))];
    // Last seen at docker0 at 10.02 ms: in flight until 16.02 ms.
    const within = run([...slow(), endAt(16.02)]);
    expect(inFlight(within)).toEqual([1]);
    const past = run([...slow(), endAt(16.03)]);
    expect(past[0]!.findings).toMatchObject([{ code: 'partial-loss', direction: 'request', count: 1, of: 2, between: ['docker0', 'eth0'] }]);
    expect(past[0]!.findings).toHaveLength(1);
  });
});

describe('answered requests are never in flight', () => {
  it('an echo request whose reply came (though eth0 missed the request) is not in flight', () => {
    const flows = run([...along(0, 2, 0, req(1)), ...along(3, 3, 0.5, rep(1)), frameAt(2, 0.51, rep(1)(2)), frameAt(1, 0.52, rep(1)(1)), frameAt(0, 0.53, rep(1)(0))]);
    expect(inFlight(flows)).toEqual([]);
  });

  it('a request answered by an ICMP error made on the path is rejected, not in flight', () => {
    const quoted = ipv4({ src: C1, dst: OUT, id: 7, proto: 17 }, udp({ sport: 5000, dport: 53 }, bytes(8)));
    const out = (hop: number) => ip4({ src: C1, dst: OUT, id: 7, proto: 17 }, udp({ sport: 5000, dport: 53 }, bytes(8)));
    const error = (hop: number) => ip4({ src: '198.18.0.1', dst: C1, id: 8, proto: 1 }, icmpError(3, 13, quoted));
    const flows = run([...along(0, 2, 0, out), frameAt(2, 0.05, error(2)), frameAt(1, 0.06, error(1)), frameAt(0, 0.07, error(0))]);
    expect(flows[0]).toMatchObject({ verdict: 'rejected', findings: [{ code: 'rejected', side: 'path', between: ['docker0', 'eth0'] }] });
    expect(flows[0]!.findings).toHaveLength(1);
  });
});

describe('echo requests that reached the end and got no reply', () => {
  const back = (ms: number) => [3, 2, 1, 0].map((hop, i) => frameAt(hop, ms + i * 0.01, rep(1)(hop)));
  it('within the round-trip bound (2 ms floor) of the end: awaiting their answer (still ok), beside answers that came', () => {
    const flows = run([...along(0, 3, 0, req(1)), ...back(1), ...along(0, 3, 10, req(2)), endAt(10.03 + 2)]);
    // Not yet unanswered: the flow stays ok, with the request said to be awaiting its answer.
    expect(flows[0]).toMatchObject({ verdict: 'ok' });
    expect(flows[0]!.findings.map((f) => f.code)).toEqual(['in-flight']);
    expect(flows[0]!.findings[0]).toMatchObject({ direction: 'request', count: 1, beyond: 'eth0' });
  });

  it('past it: unanswered beyond eth0, and the flow partial', () => {
    const flows = run([...along(0, 3, 0, req(1)), ...back(1), ...along(0, 3, 10, req(2)), endAt(10.03 + 2.001)]);
    expect(flows[0]).toMatchObject({ verdict: 'partial' });
    expect(flows[0]!.findings).toMatchObject([{ code: 'unanswered', count: 1, of: 2, beyond: 'eth0' }]);
    expect(flows[0]!.findings).toHaveLength(1);
  });
});

describe('replies on their way when the trace ended', () => {
  const inFlightReplies = (flows: ReturnType<typeof run>) => flows[0]!.findings.filter((f) => f.code === 'in-flight' && f.direction === 'reply').map((f) => ('count' in f ? f.count : 0));
  const back = (seq: number, ms: number, hops: number[]) => hops.map((hop, i) => frameAt(hop, ms + i * 0.01, rep(seq)(hop)));

  it('a reply last seen at docker0 just before the end is in flight, counted as a reply', () => {
    const flows = run([...along(0, 3, 0, req(1)), ...back(1, 1, [3, 2]), endAt(1.02)]);
    expect(inFlightReplies(flows)).toEqual([1]);
    expect(flows[0]).toMatchObject({ verdict: 'no-reply', packets: { request: 1, reply: 1 } });
  });

  it('two replies on their way, one behind the other on the same hops: both in flight', () => {
    const flows = run([...along(0, 3, 0, req(1)), ...along(0, 3, 0.1, req(2)), ...back(1, 1, [3, 2]), ...back(2, 1.2, [3, 2]), endAt(1.22)]);
    expect(inFlightReplies(flows)).toEqual([2]);
  });

  it('a reply still on its way though a later request crossed the same hops outward', () => {
    const flows = run([...along(0, 3, 0, req(1)), ...back(1, 1, [3, 2]), ...along(0, 3, 1.1, req(2)), endAt(1.2)]);
    expect(inFlightReplies(flows)).toEqual([1]);
  });

  it('an earlier reply whose follower came back only to eth0 is still in flight', () => {
    const flows = run([...along(0, 3, 0, req(1)), ...along(0, 3, 0.1, req(2)), ...back(1, 1, [3, 2]), ...back(2, 1.2, [3]), endAt(1.21)]);
    expect(inFlightReplies(flows)).toEqual([2]);
  });
});

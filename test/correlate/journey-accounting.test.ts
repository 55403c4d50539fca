// What a settled journey adds to its flow (src/correlate/account.ts), through the tracer on
// packets built in the test, each with the case where the finding must not appear: where a
// packet's travel ends (the far end, or the hop owning its destination), where an answer from a
// hop's own address starts, a hop that missed one packet of many (a capture gap) against one
// that missed all (blind), sightings stamped out of hop order, TTL steps and rewrites counted
// once per distinct value, and the missing SNAT only on the uplink with the private source.
import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import { bytes, icmpEcho, udp } from '../decode/builders.js';
import type { Frame, Hop } from '../../src/model.js';
import { flowJson } from '../../src/render/json.js';
import { C1, DOCKER_PATH, frameAt, GW, HOST, ip4, OUT } from './path-builders.js';


function run(frames: Frame[], hops: Hop[] = DOCKER_PATH) {
  const tracer = createTracer(hops);
  for (const f of frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec)) tracer.push(f);
  return tracer.finish().flows.map(flowJson);
}

function along(from: number, to: number, ms: number, at: (hop: number) => Uint8Array, skip: number[] = []): Frame[] {
  const step = from <= to ? 1 : -1;
  const frames: Frame[] = [];
  for (let hop = from, i = 0; hop !== to + step; hop += step, i++) if (!skip.includes(hop)) frames.push(frameAt(hop, ms + i * 0.01, at(hop)));
  return frames;
}

/** An echo through MASQUERADE: TTL -1 from the bridge on, id 7 -> 1007 at the uplink. */
const request = (seq: number, dst = OUT) => (hop: number) =>
  ip4({ src: hop === 3 ? HOST : C1, dst, id: 40 + seq, ttl: hop === 3 ? 63 : 64, proto: 1 }, icmpEcho(8, hop === 3 ? 1007 : 7, seq, bytes(8)));
const reply = (seq: number, src = OUT) => (hop: number) =>
  ip4({ src, dst: hop === 3 ? HOST : C1, id: 90 + seq, ttl: hop === 3 ? 64 : 63, proto: 1 }, icmpEcho(0, hop === 3 ? 1007 : 7, seq, bytes(8)));

describe('where a packet\'s travel ends and starts', () => {
  it('a ping to the bridge\'s own address ends at the bridge: ok, and the uplink is not said to miss it', () => {
    const toGw = (seq: number) => (hop: number) => ip4({ src: C1, dst: GW, id: seq, proto: 1 }, icmpEcho(8, 7, seq, bytes(8)));
    const fromGw = (seq: number) => (hop: number) => ip4({ src: GW, dst: C1, id: 50 + seq, proto: 1 }, icmpEcho(0, 7, seq, bytes(8)));
    const [flow] = run([...along(0, 2, 0, toGw(1)), ...along(2, 0, 1, fromGw(1)), ...along(0, 2, 1000, toGw(2)), ...along(2, 0, 1001, fromGw(2))]);
    expect(flow).toMatchObject({ verdict: 'ok', reached: 'docker0', dropBetween: null, findings: [], packets: { request: 2, reply: 2 } });
  });

  it('the same ping with its requests lost after the veth: dropped between the veth and the bridge', () => {
    const toGw = (seq: number) => (hop: number) => ip4({ src: C1, dst: GW, id: seq, proto: 1 }, icmpEcho(8, 7, seq, bytes(8)));
    const [flow] = run([...along(0, 1, 0, toGw(1)), ...along(0, 1, 1000, toGw(2))]);
    expect(flow).toMatchObject({ verdict: 'dropped', reached: 'veth1', dropBetween: ['veth1', 'docker0'] });
  });
});

describe('a hop that missed packets', () => {
  it('one request of three not seen at docker0 though seen beyond it: a capture gap there, still ok', () => {
    const [flow] = run([
      ...along(0, 3, 0, request(1)), ...along(3, 0, 1, reply(1)),
      ...along(0, 3, 1000, request(2), [2]), ...along(3, 0, 1001, reply(2)),
      ...along(0, 3, 2000, request(3)), ...along(3, 0, 2001, reply(3)),
    ]);
    expect(flow).toMatchObject({ verdict: 'ok', packets: { request: 3, reply: 3 } });
    expect(flow!.findings).toEqual([{ code: 'capture-gap', at: 'docker0', count: 1, message: '1 packet that crossed docker0 was missing there (seen farther along, or answered from docker0 or beyond): capture loss, not a network drop' }]);
  });

  it('every packet missing at the veth: it did not see the flow (no capture gap)', () => {
    const frames: Frame[] = [];
    for (let seq = 1; seq <= 2; seq++) frames.push(...along(0, 3, seq * 1000, request(seq), [1]), ...along(3, 0, seq * 1000 + 1, reply(seq), [1]));
    const [flow] = run(frames);
    expect(flow).toMatchObject({ verdict: 'ok' });
    expect(flow!.findings).toEqual([{ code: 'hop-not-seeing-flow', at: 'veth1', count: 4, bridge: false, message: "veth1 saw none of this flow's packets though they crossed it" }]);
  });

  it('a request last seen at docker0 while others crossed to eth0 vanished there: partial-loss, not a capture gap', () => {
    const [flow] = run([
      ...along(0, 3, 0, request(1)), ...along(3, 0, 1, reply(1)),
      ...along(0, 2, 1000, request(2)),
      ...along(0, 3, 2000, request(3)), ...along(3, 0, 2001, reply(3)),
    ]);
    expect(flow).toMatchObject({ verdict: 'partial', dropBetween: ['docker0', 'eth0'] });
    expect(flow!.findings.map((f) => f.code)).toEqual(['partial-loss']);
    expect(flow!.findings[0]).toMatchObject({ count: 1, of: 3, between: ['docker0', 'eth0'] });
  });
});

describe('steps between hops', () => {
  it('sightings stamped out of hop order (two clocks) are still put in travel order', () => {
    // docker0's capture stamped the request 5 us before the veth's.
    const frames = [frameAt(0, 0, request(1)(0)), frameAt(1, 0.02, request(1)(1)), frameAt(2, 0.015, request(1)(2)), frameAt(3, 0.03, request(1)(3)), ...along(3, 0, 1, reply(1))];
    const [flow] = run(frames);
    expect(flow!.latency.filter((l) => l.direction === 'request').map((l) => [l.between.join('>'), l.minUs])).toEqual([['c1 eth0>veth1', 20], ['veth1>docker0', -5], ['docker0>eth0', 15]]);
    expect(flow!.findings).toEqual([]);
  });

  it('TTL decrements per step, both ways; each distinct rewrite once however many packets carry it', () => {
    const frames: Frame[] = [];
    for (let seq = 1; seq <= 3; seq++) frames.push(...along(0, 3, seq * 1000, request(seq)), ...along(3, 0, seq * 1000 + 1, reply(seq)));
    const [flow] = run(frames);
    expect(flow!.ttl).toEqual([
      { between: ['c1 eth0', 'veth1'], direction: 'request', decrement: 0 },
      { between: ['veth1', 'docker0'], direction: 'request', decrement: 0 },
      { between: ['docker0', 'eth0'], direction: 'request', decrement: 1 },
      { between: ['eth0', 'docker0'], direction: 'reply', decrement: 1 },
      { between: ['docker0', 'veth1'], direction: 'reply', decrement: 0 },
      { between: ['veth1', 'c1 eth0'], direction: 'reply', decrement: 0 },
    ]);
    expect(flow!.rewrites).toEqual([
      { between: ['docker0', 'eth0'], direction: 'request', field: 'src', from: C1, to: HOST },
      { between: ['docker0', 'eth0'], direction: 'request', field: 'icmp-id', from: '7', to: '1007' },
      { between: ['eth0', 'docker0'], direction: 'reply', field: 'dst', from: HOST, to: C1 },
      { between: ['eth0', 'docker0'], direction: 'reply', field: 'icmp-id', from: '1007', to: '7' },
    ]);
    expect(flow!.latency.map((l) => l.samples)).toEqual([3, 3, 3, 3, 3, 3]);
  });

  it('two source ports for one flow\'s packets (a NAT port change) are two rewrites of the same step', () => {
    const out = (sport: number, seq: number) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: seq, proto: 17 }, udp({ sport: hop === 3 ? sport : 5000, dport: 53 }, bytes(seq)));
    const [flow] = run([...along(0, 3, 0, out(61000, 1)), ...along(0, 3, 1, out(61001, 2))]);
    expect(flow!.rewrites.filter((r) => r.field === 'sport')).toEqual([
      { between: ['docker0', 'eth0'], direction: 'request', field: 'sport', from: '5000', to: '61000' },
      { between: ['docker0', 'eth0'], direction: 'request', field: 'sport', from: '5000', to: '61001' },
    ]);
  });
});

describe('the missing SNAT', () => {
  const unNat = (seq: number) => (hop: number) => ip4({ src: C1, dst: OUT, id: seq, proto: 17 }, udp({ sport: 5000, dport: 53 }, bytes(8)));

  it('a request leaving the uplink with the bridge subnet\'s source, nothing back: no-snat at eth0', () => {
    const hops = DOCKER_PATH.map((h) => (h.role === 'bridge' ? { ...h, addrs: ['198.18.0.1/24'] } : h));
    const [flow] = run(along(0, 3, 0, unNat(1)), hops);
    expect(flow!.findings.filter((f) => f.code === 'no-snat')).toMatchObject([{ code: 'no-snat', at: 'eth0', src: C1 }]);
  });

  it('not when the source was rewritten on the way', () => {
    const nat = (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 1, proto: 17 }, udp({ sport: 5000, dport: 53 }, bytes(8)));
    expect(run(along(0, 3, 0, nat))[0]!.findings.filter((f) => f.code === 'no-snat')).toEqual([]);
  });

  it('not when the source is outside every bridge subnet (a routed, public source)', () => {
    const routed = (hop: number) => ip4({ src: '203.0.113.50', dst: OUT, id: 1, proto: 17 }, udp({ sport: 5000, dport: 53 }, bytes(8)));
    const hops: Hop[] = DOCKER_PATH.map((h) => (h.role === 'container' ? { ...h, addrs: ['203.0.113.50'] } : h));
    expect(run(along(0, 3, 0, routed), hops)[0]!.findings.filter((f) => f.code === 'no-snat')).toEqual([]);
  });

  it('not for a packet seen only at the uplink (nothing to compare its source with)', () => {
    const flows = run(along(3, 3, 0, unNat(1)));
    // The hops before it did not see it: said as such, and no no-snat.
    expect(flows.map((f) => [f.initiator, f.findings.map((x) => x.code)])).toEqual([[`${C1}:5000`, ['hop-not-seeing-flow', 'hop-not-seeing-flow', 'hop-not-seeing-flow']]]);
  });
});

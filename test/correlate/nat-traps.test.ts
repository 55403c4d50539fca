import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import { ACK, RST, SYN, bytes, ethernet, icmpEcho, icmpError, ipv4, tcp, udp } from '../decode/builders.js';
import type { Frame } from '../../src/model.js';
import { C1, DOCKER_PATH, frameAt, HOST, ip4, OUT } from './path-builders.js';
import { flowJson, type FlowJson } from '../../src/render/json.js';
import { endpointText } from '../../src/render/values.js';
import type { FlowReport } from '../../src/model.js';


function run(frames: Frame[]) {
  const tracer = createTracer(DOCKER_PATH);
  for (const f of frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec)) tracer.push(f);
  return tracer.finish();
}

/** A packet crossing hops `from`..`to` (either way), built per hop by `at(hop)`. */
function along(from: number, to: number, ms: number, at: (hop: number) => Uint8Array): Frame[] {
  const step = from <= to ? 1 : -1;
  const frames: Frame[] = [];
  for (let hop = from, i = 0; hop !== to + step; hop += step, i++) frames.push(frameAt(hop, ms + i * 0.01, at(hop)));
  return frames;
}

describe('NAT traps from real traffic', () => {
  it('follows an ICMP port unreachable whose quoted header NAT rewrote back to the container: rejected', () => {
    const query = bytes(30, (i) => (i * 7) & 0xff);
    const request = (hop: number) =>
      ipv4({ src: hop === 3 ? HOST : C1, dst: OUT, ttl: hop === 3 ? 63 : 64, id: 4242, proto: 17 }, udp({ sport: hop === 3 ? 61000 : 40000, dport: 53 }, query));
    const error = (hop: number) =>
      ip4(
        { src: OUT, dst: hop === 3 ? HOST : C1, ttl: hop === 3 ? 64 : 63, id: 555, proto: 1 },
        icmpError(3, 3, request(hop).subarray(0, 28)),
      );
    const frames = [...along(0, 3, 0, (hop) => ethernet(0x0800, request(hop))), ...along(3, 0, 1, error)];
    const flow = only(run(frames));
    expect(flow).toMatchObject({ proto: 'udp', initiator: '198.18.0.2:40000', responder: '203.0.113.2:53', verdict: 'rejected', reached: 'eth0' });
    expect(flow.packets).toEqual({ request: 1, reply: 1 });
    expect(flow.findings[0]).toEqual({
      code: 'rejected', count: 1, side: 'beyond', beyond: 'eth0',
      answer: { kind: 'icmp-error', v6: false, type: 3, code: 3, from: '203.0.113.2' },
      message: 'ICMP port unreachable from 203.0.113.2, beyond eth0, answered the request',
    });
    expect(flow.rewrites.filter((r) => r.direction === 'request')).toEqual([
      { between: ['docker0', 'eth0'], direction: 'request', field: 'src', from: C1, to: HOST },
      { between: ['docker0', 'eth0'], direction: 'request', field: 'sport', from: '40000', to: '61000' },
    ]);
  });

  it('matches a SYN-ACK with IP id 0 and tells a byte-identical retransmitted SYN from the first', () => {
    const syn = (hop: number) => ip4({ src: hop3(hop), dst: OUT, id: 0, ttl: 64, proto: 6 }, tcp({ sport: hop === 3 ? 61001 : 40001, dport: 80, seq: 1000, flags: SYN }));
    const synAck = (hop: number) =>
      ip4({ src: OUT, dst: hop3(hop), id: 0, ttl: 64, proto: 6 }, tcp({ sport: 80, dport: hop === 3 ? 61001 : 40001, seq: 5000, ack: 1001, flags: SYN | ACK }));
    // The first SYN dies at docker0 (say a full conntrack table); the retransmission 1 s later gets through:
    // partly answered, not ok.
    const frames = [...along(0, 2, 0, syn), ...along(0, 3, 1000, syn), ...along(3, 0, 1001, synAck)];
    const flow = only(run(frames));
    expect(flow).toMatchObject({ proto: 'tcp', initiator: '198.18.0.2:40001', responder: '203.0.113.2:80', verdict: 'partial', dropBetween: ['docker0', 'eth0'] });
    expect(flow.packets).toEqual({ request: 2, reply: 1 });
    expect(flow.findings).toEqual([{ code: 'partial-loss', direction: 'request', count: 1, of: 2, between: ['docker0', 'eth0'], message: '1 of 2 requests vanished between docker0 and eth0' }]);
  });

  it('says rejected for a TCP reset, with the reset named', () => {
    const syn = (hop: number) => ip4({ src: hop3(hop), dst: OUT, id: 77, proto: 6 }, tcp({ sport: 40002, dport: 81, seq: 1, flags: SYN }));
    const rst = (hop: number) => ip4({ src: OUT, dst: hop3(hop), id: 0, proto: 6 }, tcp({ sport: 81, dport: 40002, seq: 0, ack: 2, flags: RST | ACK }));
    const flow = only(run([...along(0, 3, 0, syn), ...along(3, 0, 1, rst)]));
    expect(flow.verdict).toBe('rejected');
    expect(flow.findings).toEqual([{ code: 'rejected', count: 1, side: 'beyond', beyond: 'eth0', answer: { kind: 'tcp-reset', from: '203.0.113.2' }, message: 'TCP reset from 203.0.113.2, beyond eth0, answered the request' }]);
  });

  it('leaves out another container sharing the bridge and the uplink', () => {
    const other = (hop: number) => ip4({ src: hop === 3 ? HOST : '198.18.0.3', dst: OUT, id: 9, proto: 1 }, icmpEcho(8, 3, 1));
    const mine = (hop: number) => ip4({ src: hop3(hop), dst: OUT, id: 10, proto: 1 }, icmpEcho(8, 4, 1));
    const report = run([...along(2, 3, 0, other), ...along(0, 3, 5, mine)]);
    expect(report.flows.map((f) => endpointText(f.initiator))).toEqual([C1]);
    expect(report.summary.otherFlows).toBe(1);
  });

  it('shows the DNAT of a published port on the way in and the reverse on the way out', () => {
    const req = (hop: number) =>
      ip4({ src: OUT, dst: hop === 3 ? HOST : C1, ttl: hop === 3 ? 64 : 63, id: 31, proto: 6 }, tcp({ sport: 50000, dport: hop === 3 ? 8080 : 80, seq: 9, flags: SYN }));
    const rep = (hop: number) =>
      ip4({ src: hop === 3 ? HOST : C1, dst: OUT, ttl: hop === 3 ? 63 : 64, id: 0, proto: 6 }, tcp({ sport: hop === 3 ? 8080 : 80, dport: 50000, seq: 70, ack: 10, flags: SYN | ACK }));
    const flow = only(run([...along(3, 0, 0, req), ...along(0, 3, 1, rep)]));
    expect(flow).toMatchObject({ initiator: '203.0.113.2:50000', responder: '203.0.113.1:8080', verdict: 'ok', reached: 'c1 eth0' });
    expect(flow.rewrites).toEqual([
      { between: ['eth0', 'docker0'], direction: 'request', field: 'dst', from: HOST, to: C1 },
      { between: ['eth0', 'docker0'], direction: 'request', field: 'dport', from: '8080', to: '80' },
      { between: ['docker0', 'eth0'], direction: 'reply', field: 'src', from: C1, to: HOST },
      { between: ['docker0', 'eth0'], direction: 'reply', field: 'sport', from: '80', to: '8080' },
    ]);
  });

  it('finds no SNAT when requests leave the uplink with the bridge address', () => {
    const req = () => ip4({ src: C1, dst: OUT, id: 12, proto: 1 }, icmpEcho(8, 5, 1));
    const flow = only(run(along(0, 3, 0, req)));
    expect(flow.verdict).toBe('no-reply');
    expect(flow.findings).toEqual([
      { code: 'no-snat', at: 'eth0', src: '198.18.0.2', message: "packets leave eth0 with the container's own source 198.18.0.2, which is not routable outside: nothing rewrote it (no SNAT/MASQUERADE), so no reply can find its way back" },
    ]);
  });
});

function hop3(hop: number): string {
  return hop === 3 ? HOST : C1;
}

/** The one flow, as the JSON report writes it (addresses and ports as text). */
function only(report: { flows: FlowReport[] }): FlowJson {
  expect(report.flows).toHaveLength(1);
  return flowJson(report.flows[0]!);
}

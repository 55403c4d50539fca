// Echo requests at the end of a trace (src/correlate/inflight.ts): an echo request is answered
// only by its own reply or an error quoting it, never by another echo's reply that happened to come
// after it; a rejection that came before it does not answer it; an echo that reached the hop where
// the flow turns back (a container on the same bridge answers from docker0 on) and got no reply is
// unanswered there.
import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import { bytes, icmpEcho, icmpError, ipv4 } from '../decode/builders.js';
import type { Frame } from '../../src/model.js';
import { flowJson } from '../../src/render/json.js';
import { C1, DOCKER_PATH, frameAt, GW, HOST, ip4, OUT } from './path-builders.js';

const C2 = '198.18.0.3';

function run(frames: Frame[]) {
  const tracer = createTracer(DOCKER_PATH);
  for (const f of frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec)) tracer.push(f);
  return tracer.finish().flows.map(flowJson);
}
function at(hops: number[], ms: number, packet: (hop: number) => Uint8Array): Frame[] {
  return hops.map((hop, i) => frameAt(hop, ms + i * 0.01, packet(hop)));
}
const req = (seq: number, dst = OUT) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst, id: seq, proto: 1 }, icmpEcho(8, 5, seq, bytes(8)));
const rep = (seq: number, src = OUT) => (hop: number) => ip4({ src, dst: hop === 3 ? HOST : C1, id: 100 + seq, proto: 1 }, icmpEcho(0, 5, seq, bytes(8)));
const codes = (flow: ReturnType<typeof run>[number]) => flow.findings.map((f) => f.code);

describe('an echo request open at the end of the trace', () => {
  it("another echo's late reply coming after it does not answer it: still in flight (last seen 0.98 ms before the end)", () => {
    // Seq 1's reply takes 10 ms; seq 2 leaves c1 at 1000 ms and is last seen at docker0.
    const flows = run([...at([0, 1, 2, 3], 990.5, req(1)), ...at([3, 2, 1, 0], 1000.5, rep(1)), ...at([0, 1, 2], 1000, req(2))]);
    expect(flows[0]).toMatchObject({ verdict: 'ok', packets: { request: 2, reply: 1 } });
    expect(flows[0]!.findings).toEqual([{ code: 'in-flight', direction: 'request', count: 1, message: '1 request still on the way when the capture ended' }]);
  });

  it('a rejection that came back before it does not answer it: rejected, and the last request still in flight', () => {
    const unreachable = (seq: number) => (hop: number) =>
      ip4({ src: GW, dst: C1, id: 300 + seq, proto: 1 }, icmpError(3, 1, ipv4({ src: C1, dst: OUT, id: seq, proto: 1 }, icmpEcho(8, 5, seq, bytes(8)))));
    const flows = run([...at([0, 1, 2], 0, req(1)), ...at([2, 1, 0], 0.05, unreachable(1)), ...at([0, 1, 2], 1000, req(2)), frameAt(0, 1001, ip4({ src: C1, dst: '203.0.113.9', id: 9, proto: 17 }, bytes(8)))]);
    expect(flows[0]).toMatchObject({ verdict: 'rejected', packets: { request: 2, reply: 1 } });
    expect(codes(flows[0]!)).toEqual(['rejected', 'in-flight']);
  });
});

describe('a ping to a container on the same bridge (the flow turns at docker0; eth0 is not on its path)', () => {
  it('the echo that got no reply reached docker0, where the flow turns: partial, unanswered beyond docker0', () => {
    const flows = run([
      ...at([0, 1, 2], 0, req(1, C2)), ...at([2, 1, 0], 0.1, rep(1, C2)),
      ...at([0, 1, 2], 1000, req(2, C2)),
      ...at([0, 1, 2], 2000, req(3, C2)), ...at([2, 1, 0], 2000.1, rep(3, C2)),
      frameAt(0, 3000, ip4({ src: C1, dst: '203.0.113.9', id: 9, proto: 17 }, bytes(8))),
    ]);
    expect(flows[0]).toMatchObject({ verdict: 'partial', reached: 'docker0', packets: { request: 3, reply: 2 } });
    expect(flows[0]!.findings).toEqual([{ code: 'unanswered', count: 1, of: 3, beyond: 'docker0', message: '1 of 3 requests reached docker0 and no reply came back from beyond it' }]);
  });

  it('NOT: every echo answered: ok, and eth0 (not on the path) is never said to miss anything', () => {
    const flows = run([...at([0, 1, 2], 0, req(1, C2)), ...at([2, 1, 0], 0.1, rep(1, C2)), ...at([0, 1, 2], 1000, req(2, C2)), ...at([2, 1, 0], 1000.1, rep(2, C2))]);
    expect(flows[0]).toMatchObject({ verdict: 'ok', reached: 'docker0', findings: [] });
  });
});

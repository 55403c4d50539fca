import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import { icmpEcho, bytes } from '../decode/builders.js';
import { DOCKER_PATH, frameAt, ip4 } from './path-builders.js';
import { flowJson } from '../../src/render/json.js';

const data = bytes(56);

/** One echo as each hop sees it: SNAT and a new echo id at the uplink, TTL -1 when routed. */
function echo(seq: number, id: number, reached: number, replyBack = true) {
  const at = seq * 1000;
  const request = (hop: number) =>
    ip4(
      { src: hop === 3 ? '203.0.113.1' : '198.18.0.2', dst: '203.0.113.2', ttl: hop === 3 ? 63 : 64, id: 100 + seq, proto: 1 },
      icmpEcho(8, hop === 3 ? 4000 + id : id, seq, data),
    );
  const reply = (hop: number) =>
    ip4(
      { src: '203.0.113.2', dst: hop === 3 ? '203.0.113.1' : '198.18.0.2', ttl: hop === 3 ? 64 : 63, id: 900 + seq, proto: 1 },
      icmpEcho(0, hop === 3 ? 4000 + id : id, seq, data),
    );
  const frames = [];
  for (let hop = 0; hop <= reached; hop++) frames.push(frameAt(hop, at + hop * 0.01, request(hop)));
  if (reached === 3 && replyBack) for (let hop = 3; hop >= 0; hop--) frames.push(frameAt(hop, at + 1 + (3 - hop) * 0.01, reply(hop)));
  return frames;
}

describe('an outbound ping through docker0 and a MASQUERADE uplink', () => {
  it('is ok, with the SNAT and the echo id rewrite at the uplink and TTL -1 there', () => {
    const tracer = createTracer(DOCKER_PATH);
    for (const f of [...echo(1, 7, 3), ...echo(2, 7, 3), ...echo(3, 7, 3)]) tracer.push(f);
    const report = tracer.finish();
    expect(report.flows).toHaveLength(1);
    const flow = flowJson(report.flows[0]!);
    expect(flow).toMatchObject({ proto: 'icmp', initiator: '198.18.0.2', responder: '203.0.113.2', verdict: 'ok', reached: 'eth0', dropBetween: null });
    expect(flow.packets).toEqual({ request: 3, reply: 3 });
    expect(flow.rewrites).toEqual([
      { between: ['docker0', 'eth0'], direction: 'request', field: 'src', from: '198.18.0.2', to: '203.0.113.1' },
      { between: ['docker0', 'eth0'], direction: 'request', field: 'icmp-id', from: '7', to: '4007' },
      { between: ['eth0', 'docker0'], direction: 'reply', field: 'dst', from: '203.0.113.1', to: '198.18.0.2' },
      { between: ['eth0', 'docker0'], direction: 'reply', field: 'icmp-id', from: '4007', to: '7' },
    ]);
    expect(flow.ttl).toEqual([
      { between: ['c1 eth0', 'veth1'], direction: 'request', decrement: 0 },
      { between: ['veth1', 'docker0'], direction: 'request', decrement: 0 },
      { between: ['docker0', 'eth0'], direction: 'request', decrement: 1 },
      { between: ['eth0', 'docker0'], direction: 'reply', decrement: 1 },
      { between: ['docker0', 'veth1'], direction: 'reply', decrement: 0 },
      { between: ['veth1', 'c1 eth0'], direction: 'reply', decrement: 0 },
    ]);
    expect(flow.latency[0]).toEqual({ between: ['c1 eth0', 'veth1'], direction: 'request', samples: 3, minUs: 10, avgUs: 10, maxUs: 10 });
    expect(flow.findings).toEqual([]);
  });

  it('is dropped between docker0 and eth0 when the uplink never sees the requests', () => {
    const tracer = createTracer(DOCKER_PATH);
    for (const f of [...echo(1, 7, 2), ...echo(2, 7, 2)]) tracer.push(f);
    const flow = tracer.finish().flows[0];
    expect(flow).toMatchObject({ verdict: 'dropped', reached: 'docker0', dropBetween: ['docker0', 'eth0'] });
  });

  it('is no-reply when requests leave the uplink and nothing comes back', () => {
    const tracer = createTracer(DOCKER_PATH);
    for (const f of [...echo(1, 7, 3, false), ...echo(2, 7, 3, false)]) tracer.push(f);
    expect(tracer.finish().flows[0]).toMatchObject({ verdict: 'no-reply', reached: 'eth0', dropBetween: null });
  });

  it('reports a packet missing at the container hop as a capture gap, never as a drop', () => {
    const tracer = createTracer(DOCKER_PATH);
    const frames = [...echo(1, 7, 3), ...echo(2, 7, 3).filter((f, i) => i !== 0), ...echo(3, 7, 3)];
    for (const f of frames) tracer.push(f);
    const flow = tracer.finish().flows[0];
    expect(flow.verdict).toBe('ok');
    expect(flow.dropBetween).toBeNull();
    expect(flow.findings).toEqual([
      { code: 'capture-gap', at: 'c1 eth0', count: 1 },
    ]);
  });

  it('keeps the way and the SNAT right when the uplink stamped a packet before the container did', () => {
    // Hops captured on different clocks (another machine, a recording stamped in user space) can be milliseconds apart.
    const skewed = (frames: ReturnType<typeof echo>) => frames.map((f) => (f.hop === 3 ? frameAt(3, (f.tsSec - 1_700_000_000) * 1000 + f.tsNsec / 1e6 - 5, f.data) : f));
    const tracer = createTracer(DOCKER_PATH);
    const frames = [...skewed(echo(1, 7, 3)), ...skewed(echo(2, 7, 3))].sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec);
    for (const f of frames) tracer.push(f);
    const flow = flowJson(tracer.finish().flows[0]!);
    expect(flow).toMatchObject({ initiator: '198.18.0.2', responder: '203.0.113.2', verdict: 'ok', reached: 'eth0' });
    expect(flow.rewrites[0]).toEqual({ between: ['docker0', 'eth0'], direction: 'request', field: 'src', from: '198.18.0.2', to: '203.0.113.1' });
  });
});

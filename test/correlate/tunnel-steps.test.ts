// Where a flow's packets went into and out of a VXLAN tunnel (src/correlate/tunnels.ts), through
// the tracer on frames built in the test: a container on host 1 pings a container on host 2
// across an overlay, seen bare in each container and inside the tunnel on host 1's uplink. Each
// step is named once with its carrier; the hops that saw the packets inside are listed, and no
// others (not the bare ones beside them); a packet seen inside the tunnel at one hop only still
// marks that hop; a VLAN tag is not a tunnel.
import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import { bytes, ethernet, icmpEcho, ipv4, udp, vxlan } from '../decode/builders.js';
import type { Frame, Hop } from '../../src/model.js';
import { flowJson } from '../../src/render/json.js';
import { frameAt } from './path-builders.js';

const C1 = '10.0.1.2';
const C2 = '10.0.1.3';
const H1 = '203.0.113.1';
const H2 = '203.0.113.5';

const OVERLAY: Hop[] = [
  { name: 'c1 eth0', role: 'container', addrs: [C1] },
  { name: 'h1 eth0', role: 'uplink', addrs: [H1] },
  { name: 'c2 eth0', role: 'other', addrs: [] },
];

function run(frames: Frame[]) {
  const tracer = createTracer(OVERLAY);
  for (const f of frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec)) tracer.push(f);
  return tracer.finish().flows.map(flowJson);
}

const inner = (type: number, seq: number) =>
  type === 8 ? ipv4({ src: C1, dst: C2, id: seq, proto: 1 }, icmpEcho(8, 3, seq, bytes(8))) : ipv4({ src: C2, dst: C1, id: 50 + seq, proto: 1 }, icmpEcho(0, 3, seq, bytes(8)));
/** The echo as hop `hop` sees it: bare in the containers, in VXLAN 42 (sport 40001) on h1's uplink. */
const seen = (type: number, seq: number) => (hop: number) => {
  const packet = inner(type, seq);
  if (hop !== 1) return ethernet(0x0800, packet);
  const [src, dst] = type === 8 ? [H1, H2] : [H2, H1];
  return ethernet(0x0800, ipv4({ src, dst, id: 900 + seq, proto: 17 }, udp({ sport: 40001, dport: 4789 }, vxlan(42, ethernet(0x0800, packet)))));
};
function at(hops: number[], ms: number, packet: (hop: number) => Uint8Array): Frame[] {
  return hops.map((hop, i) => frameAt(hop, ms + i * 0.01, packet(hop)));
}

describe('a ping across the overlay', () => {
  it('encapsulated and decapsulated each way, once per step, inside the tunnel at h1 eth0 only', () => {
    const [flow] = run([...at([0, 1, 2], 0, seen(8, 1)), ...at([2, 1, 0], 1, seen(0, 1)), ...at([0, 1, 2], 10, seen(8, 2)), ...at([2, 1, 0], 11, seen(0, 2))]);
    const carrier = (src: string, dst: string) => ({ src, dst, dport: 4789 });
    expect(flow).toMatchObject({ verdict: 'ok', packets: { request: 2, reply: 2 } });
    expect(flow!.tunnels).toEqual({
      steps: [
        { between: ['c1 eth0', 'h1 eth0'], direction: 'request', kind: 'vxlan', vni: 42, outer: carrier(H1, H2), action: 'encapsulated' },
        { between: ['h1 eth0', 'c2 eth0'], direction: 'request', kind: 'vxlan', vni: 42, outer: carrier(H1, H2), action: 'decapsulated' },
        { between: ['c2 eth0', 'h1 eth0'], direction: 'reply', kind: 'vxlan', vni: 42, outer: carrier(H2, H1), action: 'encapsulated' },
        { between: ['h1 eth0', 'c1 eth0'], direction: 'reply', kind: 'vxlan', vni: 42, outer: carrier(H2, H1), action: 'decapsulated' },
      ],
      insideAt: ['h1 eth0'],
    });
  });

  it('requests seen only inside the tunnel (h1 eth0 alone, carrying c1\'s address) mark h1 eth0 as inside, with no step', () => {
    const flows = run([...at([1], 0, seen(8, 1)), ...at([1], 10, seen(8, 2))]);
    expect(flows).toHaveLength(1);
    expect(flows[0]!.packets).toEqual({ request: 2, reply: 0 });
    expect(flows[0]!.tunnels).toEqual({ steps: [], insideAt: ['h1 eth0'] });
  });

  it('NOT: the same ping seen bare at every hop has no tunnel', () => {
    const bare = (type: number, seq: number) => () => ethernet(0x0800, inner(type, seq));
    const [flow] = run([...at([0, 1, 2], 0, bare(8, 1)), ...at([2, 1, 0], 1, bare(0, 1))]);
    expect(flow).toMatchObject({ verdict: 'ok', packets: { request: 1, reply: 1 } });
    expect(flow!.tunnels).toBeUndefined();
  });

  it('NOT: a VLAN tag at h1 eth0 is not a tunnel', () => {
    const tagged = (type: number, seq: number) => (hop: number) => ethernet(0x0800, inner(type, seq), hop === 1 ? [{ id: 100 }] : []);
    const [flow] = run([...at([0, 1, 2], 0, tagged(8, 1)), ...at([2, 1, 0], 1, tagged(0, 1))]);
    expect(flow).toMatchObject({ verdict: 'ok', packets: { request: 1, reply: 1 } });
    expect(flow!.tunnels).toBeUndefined();
  });
});

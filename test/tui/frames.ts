// Packets built in the test, hop by hop, as a capture on each interface would hand them over:
// raw IPv4 frames (LINKTYPE_IPV4) carrying ICMP echo, so the real tracer decodes and matches them.
import type { Frame, Hop } from '../../src/model.js';

export interface EchoSpec {
  src: string;
  dst: string;
  ttl: number;
  ipId: number;
  icmpId: number;
  seq: number;
  reply?: boolean;
}

export function ipv4Echo(spec: EchoSpec): Uint8Array {
  const payload = new TextEncoder().encode(`hoptrace tui seq ${spec.seq}`.padEnd(32, '.'));
  const bytes = new Uint8Array(20 + 8 + payload.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x45;
  view.setUint16(2, bytes.length);
  view.setUint16(4, spec.ipId);
  bytes[8] = spec.ttl;
  bytes[9] = 1;
  bytes.set(ipv4Bytes(spec.src), 12);
  bytes.set(ipv4Bytes(spec.dst), 16);
  bytes[20] = spec.reply ? 0 : 8;
  view.setUint16(24, spec.icmpId);
  view.setUint16(26, spec.seq);
  bytes.set(payload, 28);
  return bytes;
}

function ipv4Bytes(addr: string): number[] {
  return addr.split('.').map(Number);
}

/** A frame seen at `hop`, `us` microseconds after the trace's start. */
export function frameAt(hop: number, us: number, data: Uint8Array): Frame {
  const base = 1_700_000_000;
  const ns = Math.round(us * 1000);
  return { hop, linkType: 228, tsSec: base + Math.floor(ns / 1e9), tsNsec: ns % 1e9, data, origLen: data.length };
}

/** The usual docker0 path, traced container first. */
export const DOCKER_PATH: Hop[] = [
  { name: 'c1 eth0', role: 'container', netns: 'container:c1', iface: 'eth0', addrs: ['198.18.0.2'] },
  { name: 'veth3f2a', role: 'veth', netns: 'host', iface: 'veth3f2a', addrs: [] },
  { name: 'docker0', role: 'bridge', netns: 'host', iface: 'docker0', addrs: ['198.18.0.1/24'] },
  { name: 'eth0', role: 'uplink', netns: 'host', iface: 'eth0', addrs: ['203.0.113.1'] },
];

const CONTAINER = '198.18.0.2';
const PUBLIC = '203.0.113.1';

/**
 * One ping crossing the docker0 path: MASQUERADE rewrites the source between docker0 and eth0
 * (and the ICMP id with it), the routing hop takes one off the TTL; the reply is undone on
 * the way back. `lostAfter` makes the request vanish after that hop, with no reply.
 */
export function pingFrames(opts: { startUs: number; dst: string; seq: number; ipId: number; lostAfter?: number }): Frame[] {
  const { startUs: t, dst, seq, ipId } = opts;
  const id = 0x1c00;
  const natId = 0x2d00;
  const out = (ttl: number, src: string, icmpId: number) => ipv4Echo({ src, dst, ttl, ipId, icmpId, seq });
  const request: Frame[] = [
    frameAt(0, t, out(64, CONTAINER, id)),
    frameAt(1, t + 12, out(64, CONTAINER, id)),
    frameAt(2, t + 20, out(64, CONTAINER, id)),
    frameAt(3, t + 48, out(63, PUBLIC, natId)),
  ];
  if (opts.lostAfter !== undefined) return request.slice(0, opts.lostAfter + 1);
  const back = (ttl: number, to: string, icmpId: number) =>
    ipv4Echo({ src: dst, dst: to, ttl, ipId: ipId + 1000, icmpId, seq, reply: true });
  return [
    ...request,
    frameAt(3, t + 900, back(57, PUBLIC, natId)),
    frameAt(2, t + 930, back(56, CONTAINER, id)),
    frameAt(1, t + 941, back(56, CONTAINER, id)),
    frameAt(0, t + 950, back(56, CONTAINER, id)),
  ];
}

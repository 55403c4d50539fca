// A flow's packet as it was at a given hop: the endpoints the report names, with the
// rewrites seen before that hop applied. Pure; what attribution needs to match rules.
import { isIP } from 'node:net';
import type { Direction, FlowReport, Hop, Rewrite } from '../model.js';
import type { Family, PacketAtHop } from './types.js';
import { formatAddress } from '../addresses.js';

interface Endpoint {
  addr: string;
  port?: number;
}

const PROTO: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 };

/** An address as text, whether the report carries it as text or as a value (IPv4 number, IPv6 bigint). */
export function addressText(value: unknown): string {
  return typeof value === 'number' || typeof value === 'bigint' ? formatAddress(value) : String(value);
}

/** "198.18.0.2", "198.18.0.2:80", "[2001:db8::1]:80", or an endpoint value {addr, port}. */
export function endpointOf(value: unknown): Endpoint {
  if (typeof value === 'object' && value !== null && 'addr' in value) {
    const { addr, port } = value as { addr: unknown; port?: number };
    return { addr: addressText(addr), ...(port !== undefined ? { port } : {}) };
  }
  const text = String(value);
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (v6) return { addr: v6[1]!, port: Number(v6[2]) };
  if (isIP(text)) return { addr: text };
  const v4 = /^([^:]+):(\d+)$/.exec(text);
  if (v4) return { addr: v4[1]!, port: Number(v4[2]) };
  return { addr: text };
}

export function protoNumber(proto: string): number | undefined {
  const named = PROTO[proto];
  if (named !== undefined) return named;
  const m = /^ip-proto-(\d+)$/.exec(proto);
  return m ? Number(m[1]) : undefined;
}

/** Whether requests travel from hop 0 towards the last hop (the traced side spoke first). */
export function requestsOutbound(flow: FlowReport, hops: Hop[]): boolean {
  const index = (name: string): number => hops.findIndex((h) => h.name === name);
  const step = [...flow.latency, ...flow.rewrites].find((s) => s.direction === 'request');
  if (step) return index(step.between[0]) < index(step.between[1]);
  const initiator = endpointOf(flow.initiator).addr;
  if (hops[0]?.addrs.some((a) => a.split('/')[0] === initiator)) return true;
  return index(flow.reached) > 0 || hops.length === 1;
}

/** Hop indexes in the order packets of `direction` cross them. */
export function travelOrder(flow: FlowReport, hops: Hop[], direction: Direction): number[] {
  const order = hops.map((_, i) => i);
  const increasing = requestsOutbound(flow, hops) === (direction === 'request');
  return increasing ? order : order.reverse();
}

function applyRewrite(p: PacketAtHop, r: Rewrite): PacketAtHop {
  // Ports and ICMP ids are numbers (or, in an older report, their text): never an address.
  switch (r.field) {
    case 'src': return { ...p, src: addressText(r.to) };
    case 'dst': return { ...p, dst: addressText(r.to) };
    case 'sport': return { ...p, sport: Number(r.to) };
    case 'dport': return { ...p, dport: Number(r.to) };
    case 'icmp-id': return { ...p, icmpId: Number(r.to) };
  }
}

/** The initiator's first packet as the initiator's own end of the path sees it. */
function firstRequest(flow: FlowReport): PacketAtHop | undefined {
  const proto = protoNumber(flow.proto);
  if (proto === undefined) return undefined;
  const a = endpointOf(flow.initiator);
  const b = endpointOf(flow.responder);
  const family: Family = isIP(a.addr) === 6 ? 6 : 4;
  if (isIP(a.addr) === 0 || isIP(b.addr) === 0) return undefined;
  const p: PacketAtHop = { family, src: a.addr, dst: b.addr, proto };
  if (a.port !== undefined) p.sport = a.port;
  if (b.port !== undefined) p.dport = b.port;
  if (proto === 1) p.icmpType = 8;
  if (proto === 58) p.icmpType = 128;
  return p;
}

function rewritesBefore(flow: FlowReport, hops: Hop[], direction: Direction, hop: number): Rewrite[] {
  const order = travelOrder(flow, hops, direction);
  const at = order.indexOf(hop);
  const pos = (name: string): number => order.indexOf(hops.findIndex((h) => h.name === name));
  return flow.rewrites.filter((r) => r.direction === direction && pos(r.between[1]) >= 0 && pos(r.between[1]) <= at);
}

/** The flow's packet of `direction` as it was when it crossed `hop`. */
export function packetAt(flow: FlowReport, hops: Hop[], direction: Direction, hop: number): PacketAtHop | undefined {
  const first = firstRequest(flow);
  if (!first) return undefined;
  if (direction === 'request') return rewritesBefore(flow, hops, 'request', hop).reduce(applyRewrite, first);
  // A reply starts as the request turned round where the responder got it (after every request rewrite).
  const last = travelOrder(flow, hops, 'request').at(-1)!;
  const served = rewritesBefore(flow, hops, 'request', last).reduce(applyRewrite, first);
  const reply: PacketAtHop = { family: served.family, src: served.dst, dst: served.src, proto: served.proto };
  if (served.dport !== undefined) reply.sport = served.dport;
  if (served.sport !== undefined) reply.dport = served.sport;
  if (served.proto === 1) reply.icmpType = 0;
  if (served.proto === 58) reply.icmpType = 129;
  if (served.icmpId !== undefined) reply.icmpId = served.icmpId;
  return rewritesBefore(flow, hops, 'reply', hop).reduce(applyRewrite, reply);
}

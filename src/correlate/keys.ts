import type { IpAddress } from '../addresses.js';
import type { IpPacket, L4 } from '../model.js';

// Two packets seen at two hops are "the same packet" when every field that NAT and
// forwarding leave alone is equal. Addresses, ports, the ICMP echo id, TTL and checksums
// are left out: NAT rewrites the first three, routing the TTL, and offload makes veth
// checksums wrong. The IP id is used only where it is non-zero (Linux sends SYN-ACKs and
// other DF packets with id 0), so a byte-identical retransmission still gets the same key;
// the journey matcher tells those apart by time and hop.

const PRIME = 0x01000193;

function mix(hash: number, value: number): number {
  hash = Math.imul(hash ^ (value & 0xff), PRIME);
  hash = Math.imul(hash ^ ((value >>> 8) & 0xff), PRIME);
  hash = Math.imul(hash ^ ((value >>> 16) & 0xff), PRIME);
  return Math.imul(hash ^ (value >>> 24), PRIME);
}

function mixL4(hash: number, l4: L4, quoted: boolean): number {
  switch (l4.kind) {
    case 'tcp':
      hash = mix(mix(hash, l4.seq), l4.ack);
      return quoted ? hash : mix(mix(hash, l4.flags), l4.window);
    case 'udp':
      return mix(hash, l4.length);
    case 'icmp':
      hash = mix(mix(hash, l4.type), l4.code);
      if (l4.seq !== undefined) hash = mix(hash, l4.seq);
      return l4.quoted && !quoted ? mixIp(hash, l4.quoted, true) : hash;
    default:
      return mix(hash, l4.proto);
  }
}

function mixIp(hash: number, ip: IpPacket, quoted: boolean): number {
  hash = mix(hash, ip.proto | (ip.version << 8));
  hash = mix(hash, ip.ipId);
  // A quoted header's length may describe more than the error carries: still NAT-proof.
  hash = mix(hash, ip.length);
  if (ip.fragment) hash = mix(hash, ip.fragment.offset | (ip.fragment.more ? 0x10000 : 0));
  hash = mixL4(hash, ip.l4, quoted);
  return quoted ? hash : mix(hash, ip.payloadHash);
}

/**
 * A 53-bit number naming the packet's NAT-proof identity: two independent 32-bit FNV
 * hashes folded together, so that a Map lookup needs no string building per packet.
 */
export function matchKey(ip: IpPacket): number {
  const a = mixIp(0x811c9dc5, ip, false) >>> 0;
  const b = mixIp(0x050c5d1f, ip, false) >>> 0;
  return (a & 0x1fffff) * 0x100000000 + b;
}

/**
 * One end of a packet's conversation as the flow table names it: the address, and the TCP/UDP
 * port or, for ICMP echo, the echo id on the side that chose it.
 */
export interface Side {
  addr: IpAddress;
  port?: number;
  icmpId?: number;
}

/** The two ends of a packet as the flow table names them. */
export interface Endpoints {
  proto: string;
  src: Side;
  dst: Side;
}

export function sameSide(a: Side, b: Side): boolean {
  return a.addr === b.addr && a.port === b.port && a.icmpId === b.icmpId;
}

/** ICMP errors say something about the flow of the packet they quote. */
export function isIcmpError(ip: IpPacket): boolean {
  return ip.l4.kind === 'icmp' && ip.l4.quoted !== undefined;
}

export function protoName(ip: IpPacket): string {
  switch (ip.l4.kind) {
    case 'tcp':
    case 'udp':
      return ip.l4.kind;
    case 'icmp':
      return ip.l4.v6 ? 'icmpv6' : 'icmp';
    default:
      return `ip-proto-${ip.proto}`;
  }
}

/**
 * The endpoints of a packet's conversation. ICMP echo requests and replies carry the echo
 * id on the side that chose it, so a request and its reply name the same pair in reverse.
 */
export function endpointsOf(ip: IpPacket): Endpoints {
  const l4 = ip.l4;
  switch (l4.kind) {
    case 'tcp':
    case 'udp':
      return { proto: l4.kind, src: { addr: ip.src, port: l4.sport }, dst: { addr: ip.dst, port: l4.dport } };
    case 'icmp': {
      const proto = l4.v6 ? 'icmpv6' : 'icmp';
      if (l4.id === undefined) return { proto, src: { addr: ip.src }, dst: { addr: ip.dst } };
      const request = isEchoRequest(l4);
      return {
        proto,
        src: request ? { addr: ip.src, icmpId: l4.id } : { addr: ip.src },
        dst: request ? { addr: ip.dst } : { addr: ip.dst, icmpId: l4.id },
      };
    }
    default:
      return { proto: protoName(ip), src: { addr: ip.src }, dst: { addr: ip.dst } };
  }
}

export function isEchoRequest(l4: L4): boolean {
  return l4.kind === 'icmp' && (l4.v6 ? l4.type === 128 : l4.type === 8);
}

export function isEchoReply(l4: L4): boolean {
  return l4.kind === 'icmp' && (l4.v6 ? l4.type === 129 : l4.type === 0);
}

/** A side as part of a map key (numbers only; never shown). */
function sideKey(s: Side): string {
  return `${s.addr}/${s.port ?? ''}/${s.icmpId ?? ''}`;
}

/** A conversation key at one hop, the same whichever way the packet goes. */
export function conversationKey(hop: number, e: Endpoints): string {
  const a = sideKey(e.src);
  const b = sideKey(e.dst);
  return a < b ? `${hop}|${e.proto}|${a}|${b}` : `${hop}|${e.proto}|${b}|${a}`;
}

export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

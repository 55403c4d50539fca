import type { IpAddress } from '../addresses.js';
import type { IpPacket, L4 } from '../model.js';

// Two packets seen at two hops are "the same packet" when every field that NAT and
// forwarding leave alone is equal. Addresses, ports, the ICMP echo id, TTL and checksums
// are left out: NAT rewrites the first three, routing the TTL, and offload makes veth
// checksums wrong. The IP id is used only where it is non-zero (Linux sends SYN-ACKs and
// other DF packets with id 0), so a byte-identical retransmission still gets the same key;
// the journey matcher tells those apart by time and hop.

// A 32-bit hash of those fields (MurmurHash3's block step, each field a whole 32-bit word)
// finds a packet's journeys in the matcher's table; sameIdentity compares the fields
// themselves, so two packets whose hashes collide are never taken for one.
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** The hash being computed (one at a time: matchKey is not re-entered). */
let h = 0;

function mix(value: number): void {
  let k = Math.imul(value, C1);
  k = Math.imul((k << 15) | (k >>> 17), C2);
  h ^= k;
  h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's finaliser: every input bit reaches every output bit. */
function fmix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

function mixL4(l4: L4, quoted: boolean): void {
  switch (l4.kind) {
    case 'tcp':
      mix(l4.seq);
      mix(l4.ack);
      if (!quoted) {
        mix(l4.flags);
        mix(l4.window);
      }
      return;
    case 'udp':
      mix(l4.length | 0x1000000);
      return;
    case 'icmp':
      mix(l4.type | (l4.code << 8) | 0x2000000);
      if (l4.seq !== undefined) mix(l4.seq | 0x4000000);
      if (l4.quoted && !quoted) mixIp(l4.quoted, true);
      return;
    default:
      mix(l4.proto | 0x8000000);
  }
}

function mixIp(ip: IpPacket, quoted: boolean): void {
  mix(ip.proto | (ip.version << 8) | (quoted ? 0x10000 : 0));
  mix(ip.ipId);
  // A quoted header's length may describe more than the error carries: still NAT-proof.
  mix(ip.length);
  if (ip.fragment) mix(ip.fragment.offset | (ip.fragment.more ? 0x10000 : 0) | 0x20000);
  mixL4(ip.l4, quoted);
  if (!quoted) mix(ip.payloadHash);
}

/**
 * A packet's key worked out ahead, on replay's reading thread (capture/files/frame-pipe.ts),
 * from its own decode of the same bytes: `armed` for the next packet decoded, which the tracer
 * then names as `ip` (keyAhead.claim); matchKey of that very packet returns `value`.
 */
export const keyAhead = {
  armed: false,
  value: 0,
  ip: null as IpPacket | null,
  /** The tracer's packet just decoded from the frame the key was armed for. */
  claim(ip: IpPacket): void {
    if (!this.armed) return;
    this.armed = false;
    this.ip = ip;
  },
};

/** The hash of the packet's NAT-proof identity: a signed 32-bit integer, equal for packets sameIdentity calls one. */
export function matchKey(ip: IpPacket): number {
  if (ip === keyAhead.ip) return keyAhead.value;
  h = 0x811c9dc5;
  mixIp(ip, false);
  return fmix(h);
}

/** Whether two packets are the same packet as far as NAT and forwarding can tell: every field matchKey hashes is equal. */
export function sameIdentity(a: IpPacket, b: IpPacket): boolean {
  return sameIp(a, b, false);
}

function sameIp(a: IpPacket, b: IpPacket, quoted: boolean): boolean {
  if (a.proto !== b.proto || a.version !== b.version || a.ipId !== b.ipId || a.length !== b.length) return false;
  const fa = a.fragment;
  const fb = b.fragment;
  if (fa === undefined ? fb !== undefined : fb === undefined || fa.offset !== fb.offset || fa.more !== fb.more) return false;
  return sameL4(a.l4, b.l4, quoted) && (quoted || a.payloadHash === b.payloadHash);
}

function sameL4(a: L4, b: L4, quoted: boolean): boolean {
  switch (a.kind) {
    case 'tcp':
      return b.kind === 'tcp' && a.seq === b.seq && a.ack === b.ack && (quoted || (a.flags === b.flags && a.window === b.window));
    case 'udp':
      return b.kind === 'udp' && a.length === b.length;
    case 'icmp':
      if (b.kind !== 'icmp' || a.type !== b.type || a.code !== b.code || a.seq !== b.seq) return false;
      if (quoted || a.quoted === undefined) return quoted || b.quoted === undefined;
      return b.quoted !== undefined && sameIp(a.quoted, b.quoted, true);
    default:
      return b.kind === 'other' && a.proto === b.proto;
  }
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
  return quotedOf(ip) !== undefined;
}

/** The packet an ICMP error quotes; undefined for any other packet (only ICMP errors carry one). */
export function quotedOf(ip: IpPacket): IpPacket | undefined {
  return (ip.l4 as { quoted?: IpPacket }).quoted;
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

type Icmp = Extract<L4, { kind: 'icmp' }>;

/** An echo request's sequence number (undefined: another packet, or an echo cut short before it). */
export function echoRequestSeq(l4: L4): number | undefined {
  return isEchoRequest(l4) ? (l4 as Icmp).seq : undefined;
}

/** An echo reply's sequence number (undefined: another packet, or an echo cut short before it). */
export function echoReplySeq(l4: L4): number | undefined {
  return isEchoReply(l4) ? (l4 as Icmp).seq : undefined;
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

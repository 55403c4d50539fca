import type { Encap, IpPacket } from '../model.js';
import { payloadHash, u16 } from './bytes.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { QUOTED } from './packet.js';

const ECHO_REPLY = 0;
const ECHO_REQUEST = 8;
const ICMPV6_ECHO_REQUEST = 128;
const ICMPV6_ECHO_REPLY = 129;
const ICMPV6_REDIRECT = 137;
/** NDP option carrying the start of the redirected packet (RFC 4861 4.6.3). */
const REDIRECTED_HEADER_OPTION = 4;

/** Errors that quote the offending packet: unreachable, source quench, redirect, time exceeded, parameter problem. */
function isIcmpv4Error(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** Unreachable, packet too big, time exceeded, parameter problem. */
function isIcmpv6Error(type: number): boolean {
  return type >= 1 && type <= 4;
}

export function decodeIcmpv4(pkt: IpPacket, d: Uint8Array, off: number, end: number, depth: number): void {
  if (end - off < 2) {
    pkt.truncated = 'icmp header';
    return;
  }
  const type = d[off];
  if (type === ECHO_REQUEST || type === ECHO_REPLY) decodeEcho(pkt, d, off, end, false, 'icmp header');
  else if (isIcmpv4Error(type) && depth !== QUOTED) decodeError(pkt, d, off, off + 8, end, false, 'icmp header');
  else decodeOther(pkt, d, off, end, false, 'icmp header');
}

export function decodeIcmpv6(pkt: IpPacket, d: Uint8Array, off: number, end: number, depth: number): void {
  if (end - off < 2) {
    pkt.truncated = 'icmpv6 header';
    return;
  }
  const type = d[off];
  if (type === ICMPV6_ECHO_REQUEST || type === ICMPV6_ECHO_REPLY) decodeEcho(pkt, d, off, end, true, 'icmpv6 header');
  else if (isIcmpv6Error(type) && depth !== QUOTED) decodeError(pkt, d, off, off + 8, end, true, 'icmpv6 header');
  else if (type === ICMPV6_REDIRECT && depth !== QUOTED) decodeError(pkt, d, off, redirectedHeader(d, off, end), end, true, 'icmpv6 header');
  else decodeOther(pkt, d, off, end, true, 'icmpv6 header');
}

function decodeEcho(pkt: IpPacket, d: Uint8Array, off: number, end: number, v6: boolean, layer: string): void {
  const whole = end - off >= 8;
  pkt.l4 = {
    kind: 'icmp', v6, type: d[off], code: d[off + 1],
    id: whole ? u16(d, off + 4) : undefined,
    seq: whole ? u16(d, off + 6) : undefined,
    quoted: undefined,
  };
  // NAT may rewrite the echo id and the checksum; the data after them it leaves alone.
  if (whole) pkt.payloadHash = payloadHash(d, off + 8, end);
  else pkt.truncated = layer;
}

/**
 * An ICMP error quoting the packet that caused it at d[quoteAt]. The quote's headers are
 * what NAT rewrites, so only the quoted payload (if any) feeds the fingerprint.
 */
function decodeError(
  pkt: IpPacket, d: Uint8Array, off: number, quoteAt: number, end: number, v6: boolean, layer: string,
): void {
  const whole = end - off >= 8;
  const quoted = whole && quoteAt >= 0 && quoteAt < end ? decodeQuoted(d, quoteAt, end) : undefined;
  pkt.l4 = { kind: 'icmp', v6, type: d[off], code: d[off + 1], id: undefined, seq: undefined, quoted };
  const mtu = whole ? nextHopMtu(d, off, v6) : undefined;
  if (mtu !== undefined) pkt.l4.mtu = mtu;
  if (!whole) pkt.truncated = layer;
  else if (quoted !== undefined) pkt.payloadHash = quoted.payloadHash;
  else if (quoteAt >= 0 && quoteCut(d, quoteAt, end)) pkt.truncated = 'icmp quoted ip header';
}

/** Undefined when the quote is not an IP packet we can read (cut short or malformed). */
function decodeQuoted(d: Uint8Array, off: number, end: number): IpPacket | undefined {
  const noEncap: Encap[] = [];
  const quoted = d[off] >> 4 === 6 ? decodeIpv6(d, off, end, end, noEncap, QUOTED) : decodeIpv4(d, off, end, end, noEncap, QUOTED);
  return typeof quoted === 'string' ? undefined : quoted;
}

function quoteCut(d: Uint8Array, off: number, end: number): boolean {
  return end - off < (off < end && d[off] >> 4 === 6 ? 40 : 20);
}

function decodeOther(pkt: IpPacket, d: Uint8Array, off: number, end: number, v6: boolean, layer: string): void {
  pkt.l4 = { kind: 'icmp', v6, type: d[off], code: d[off + 1], id: undefined, seq: undefined, quoted: undefined };
  if (end - off >= 4) pkt.payloadHash = payloadHash(d, off + 8, end);
  else pkt.truncated = layer;
}

/** Where the Redirected Header option's quoted packet starts, or -1 when there is none. */
function redirectedHeader(d: Uint8Array, off: number, end: number): number {
  let o = off + 40; // type, code, checksum, reserved, target and destination addresses
  while (o + 8 <= end) {
    const len = d[o + 1] * 8;
    if (len === 0) return -1;
    if (d[o] === REDIRECTED_HEADER_OPTION) return o + 8;
    o += len;
  }
  return -1;
}

/** The MTU an ICMPv6 packet too big (bytes 4-7) or an ICMP fragmentation needed (bytes 6-7) names. */
function nextHopMtu(d: Uint8Array, off: number, v6: boolean): number | undefined {
  if (v6) return d[off] === 2 ? ((d[off + 4] << 24) | (d[off + 5] << 16) | (d[off + 6] << 8) | d[off + 7]) >>> 0 : undefined;
  return d[off] === 3 && d[off + 1] === 4 ? (d[off + 6] << 8) | d[off + 7] : undefined;
}

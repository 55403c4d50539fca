import type { Encap, IpPacket } from '../model.js';
import { payloadHash, u16, u24, u32 } from './bytes.js';
import { decodeIcmpv4, decodeIcmpv6 } from './icmp.js';
import { decodeEthernet, decodeEtherType } from './link.js';
import { type LayerResult, MAX_TUNNEL_DEPTH, QUOTED } from './packet.js';

const ICMP = 1;
const TCP = 6;
const UDP = 17;
const ICMPV6 = 58;
const VXLAN_PORT = 4789;
/** The port Linux used for VXLAN before IANA assigned 4789; flannel still uses it. */
const LINUX_VXLAN_PORT = 8472;

/**
 * The transport header at d[off]. `end` bounds what may be read (captured bytes within the
 * IP packet); `payloadEnd` is where the IP header says the packet ends, for lengths.
 */
export function decodeTransport(
  pkt: IpPacket, d: Uint8Array, off: number, end: number, payloadEnd: number, encap: Encap[], depth: number,
): LayerResult {
  switch (pkt.proto) {
    case TCP:
      decodeTcp(pkt, d, off, end, payloadEnd);
      return pkt;
    case UDP:
      return decodeUdp(pkt, d, off, end, payloadEnd, encap, depth);
    case ICMP:
      decodeIcmpv4(pkt, d, off, end, depth);
      return pkt;
    case ICMPV6:
      decodeIcmpv6(pkt, d, off, end, depth);
      return pkt;
    default:
      pkt.payloadHash = payloadHash(d, off, end);
      return pkt;
  }
}

/** Reads what is there: an ICMP error often quotes only 8 bytes of TCP (ports and seq). */
function decodeTcp(pkt: IpPacket, d: Uint8Array, off: number, end: number, payloadEnd: number): void {
  const avail = end - off;
  if (avail < 4) {
    pkt.truncated = 'tcp header';
    return;
  }
  const headerLen = avail >= 13 ? (d[off + 12] >> 4) * 4 : 20;
  // A data offset below 5 words is malformed; count the 20 fixed bytes as the header anyway.
  const dataStart = off + (headerLen < 20 ? 20 : headerLen);
  const payloadLen = payloadEnd - dataStart;
  pkt.l4 = {
    kind: 'tcp',
    sport: u16(d, off),
    dport: u16(d, off + 2),
    seq: avail >= 8 ? u32(d, off + 4) : 0,
    ack: avail >= 12 ? u32(d, off + 8) : 0,
    // The low bit of byte 12 is the ninth flag (NS, now AccECN's AE).
    flags: avail >= 14 ? ((d[off + 12] & 1) << 8) | d[off + 13] : 0,
    window: avail >= 16 ? u16(d, off + 14) : 0,
    payloadLen: payloadLen > 0 ? payloadLen : 0,
  };
  if (avail < 20 || dataStart > end) pkt.truncated = 'tcp header';
  else pkt.payloadHash = payloadHash(d, dataStart, end);
}

function decodeUdp(
  pkt: IpPacket, d: Uint8Array, off: number, end: number, payloadEnd: number, encap: Encap[], depth: number,
): LayerResult {
  const avail = end - off;
  if (avail < 4) {
    pkt.truncated = 'udp header';
    return pkt;
  }
  const dport = u16(d, off + 2);
  // Jumbograms and offloaded super-packets carry a UDP length of 0: the IP length counts.
  const length = avail >= 6 ? u16(d, off + 4) : 0;
  const payloadLen = length >= 8 ? length - 8 : payloadEnd - off - 8;
  pkt.l4 = { kind: 'udp', sport: u16(d, off), dport, length, payloadLen: payloadLen > 0 ? payloadLen : 0 };
  if (avail < 8) {
    pkt.truncated = 'udp header';
    return pkt;
  }
  if ((dport === VXLAN_PORT || dport === LINUX_VXLAN_PORT) && depth !== QUOTED && depth < MAX_TUNNEL_DEPTH) {
    return decodeVxlan(pkt, d, off + 8, end, payloadEnd, encap, depth);
  }
  pkt.payloadHash = payloadHash(d, off + 8, end);
  return pkt;
}

/**
 * VXLAN (RFC 7348) carries a whole Ethernet frame; that inner frame is the packet the
 * containers sent, so it replaces the carrier. VXLAN-GPE may carry bare IP instead.
 */
function decodeVxlan(
  carrier: IpPacket, d: Uint8Array, off: number, end: number, payloadEnd: number, encap: Encap[], depth: number,
): LayerResult {
  if (end - off < 8) {
    carrier.truncated = 'vxlan header';
    return carrier;
  }
  const flags = d[off];
  if ((flags & 0x08) === 0) {
    // Without the I flag the VNI is not valid: not VXLAN as we know it, keep the UDP packet.
    carrier.payloadHash = payloadHash(d, off, end);
    return carrier;
  }
  const innerType = (flags & 0x04) === 0 ? ETHERNET : gpeEtherType(d[off + 3]);
  if (innerType === 0) {
    carrier.payloadHash = payloadHash(d, off, end);
    return carrier;
  }
  const udp = carrier.l4 as Extract<IpPacket['l4'], { kind: 'udp' }>;
  encap.push({ kind: 'vxlan', vni: u24(d, off + 4), src: carrier.src, dst: carrier.dst, sport: udp.sport, dport: udp.dport });
  if (innerType === ETHERNET) return decodeEthernet(d, off + 8, end, payloadEnd, encap, depth + 1);
  return decodeEtherType(innerType, d, off + 8, end, payloadEnd, encap, depth + 1);
}

/** Marks an inner Ethernet frame (not an ethertype). */
const ETHERNET = -1;

/** VXLAN-GPE (P flag set) next protocol: 1 IPv4, 2 IPv6, 3 Ethernet; 0 for what we do not follow (NSH, MPLS). */
function gpeEtherType(nextProtocol: number): number {
  return nextProtocol === 1 ? 0x0800 : nextProtocol === 2 ? 0x86dd : nextProtocol === 3 ? ETHERNET : 0;
}

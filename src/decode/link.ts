import type { Encap } from '../model.js';
import { u16 } from './bytes.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import type { LayerResult } from './packet.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
/** Pre-standard QinQ outer tags that some switches still emit. */
const ETHERTYPE_QINQ_OLD = 0x9100;
const ETHERTYPE_QINQ_OLD2 = 0x9200;
/** Tags beyond this many are not a real frame; stop rather than loop. */
const MAX_VLAN_TAGS = 8;
const AF_INET = 2;

export function decodeEthernet(
  d: Uint8Array, off: number, capEnd: number, origEnd: number, encap: Encap[], depth: number,
): LayerResult {
  if (capEnd - off < 14) return 'truncated ethernet header';
  const type = u16(d, off + 12);
  if (type >= 0x0600) return decodeEtherType(type, d, off + 14, capEnd, origEnd, encap, depth);
  // An 802.3 length field: LLC follows, and only LLC/SNAP can carry an ethertype.
  if (capEnd - off >= 22 && d[off + 14] === 0xaa && d[off + 15] === 0xaa && d[off + 16] === 0x03) {
    return decodeEtherType(u16(d, off + 20), d, off + 22, capEnd, origEnd, encap, depth);
  }
  return 'llc';
}

/** Follows any stack of VLAN tags (each pushes its VLAN id onto encap) to the IP layer. */
export function decodeEtherType(
  type: number, d: Uint8Array, off: number, capEnd: number, origEnd: number, encap: Encap[], depth: number,
): LayerResult {
  for (let tags = 0; ; tags++) {
    if (type === ETHERTYPE_IPV4) return decodeIpv4(d, off, capEnd, origEnd, encap, depth);
    if (type === ETHERTYPE_IPV6) return decodeIpv6(d, off, capEnd, origEnd, encap, depth);
    if (type !== ETHERTYPE_VLAN && type !== ETHERTYPE_QINQ && type !== ETHERTYPE_QINQ_OLD && type !== ETHERTYPE_QINQ_OLD2) break;
    if (tags === MAX_VLAN_TAGS) return 'too many vlan tags';
    if (capEnd - off < 4) return 'truncated vlan tag';
    encap.push({ kind: 'vlan', id: u16(d, off) & 0x0fff });
    type = u16(d, off + 2);
    off += 4;
  }
  return etherTypeSkip(type);
}

function etherTypeSkip(type: number): string {
  if (type < 0x0600) return 'llc'; // an 802.3 length behind a VLAN tag
  switch (type) {
    case 0x0806: return 'arp';
    case 0x8035: return 'rarp';
    case 0x88cc: return 'lldp';
    case 0x8847:
    case 0x8848: return 'mpls';
    case 0x888e: return 'eapol';
    case 0x8863:
    case 0x8864: return 'pppoe';
    case 0x88f7: return 'ptp';
    case 0x9000: return 'ethernet loopback';
    default: return 'ethertype 0x' + type.toString(16).padStart(4, '0');
  }
}

/** Linux "cooked" capture v1 (tcpdump -i any before libpcap 1.10): 16 bytes, protocol last. */
export function decodeLinuxSll(d: Uint8Array, off: number, capEnd: number, origEnd: number, encap: Encap[]): LayerResult {
  if (capEnd - off < 16) return 'truncated linux sll header';
  return decodeSllProtocol(u16(d, off + 2), u16(d, off + 14), d, off + 16, capEnd, origEnd, encap);
}

/** Linux "cooked" capture v2: 20 bytes, protocol first, then the interface index. */
export function decodeLinuxSll2(d: Uint8Array, off: number, capEnd: number, origEnd: number, encap: Encap[]): LayerResult {
  if (capEnd - off < 20) return 'truncated linux sll2 header';
  return decodeSllProtocol(u16(d, off + 8), u16(d, off), d, off + 20, capEnd, origEnd, encap);
}

const ARPHRD_NETLINK = 824;

function decodeSllProtocol(
  arphrd: number, protocol: number, d: Uint8Array, off: number, capEnd: number, origEnd: number, encap: Encap[],
): LayerResult {
  if (arphrd === ARPHRD_NETLINK) return 'netlink';
  // Below 0x0600 the field holds a Linux pseudo-protocol (802.2 LLC, 802.3, CAN...), not an ethertype.
  if (protocol < 0x0600) return 'linux sll protocol 0x' + protocol.toString(16).padStart(4, '0');
  return decodeEtherType(protocol, d, off, capEnd, origEnd, encap, 0);
}

/** BSD loopback: a 4-byte address family, in the capturing host's byte order (NULL) or network order (LOOP). */
export function decodeLoopback(
  d: Uint8Array, off: number, capEnd: number, origEnd: number, encap: Encap[], networkOrder: boolean,
): LayerResult {
  if (capEnd - off < 4) return 'truncated loopback header';
  const family = networkOrder ? u16(d, off + 2) : familyAnyOrder(d, off);
  if (family === AF_INET) return decodeIpv4(d, off + 4, capEnd, origEnd, encap, 0);
  // AF_INET6 differs per OS: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30.
  if (family === 10 || family === 24 || family === 28 || family === 30) return decodeIpv6(d, off + 4, capEnd, origEnd, encap, 0);
  return 'loopback family ' + family;
}

/** Families are small numbers, so whichever end of the 4 bytes holds the value gives the order. */
function familyAnyOrder(d: Uint8Array, off: number): number {
  return d[off] !== 0 || d[off + 1] !== 0 ? d[off] | (d[off + 1] << 8) : (d[off + 2] << 8) | d[off + 3];
}

/** Raw IP link types: the version nibble says which (101), or the link type does (228, 229). */
export function decodeRawIp(
  d: Uint8Array, off: number, capEnd: number, origEnd: number, encap: Encap[], only: 0 | 4 | 6,
): LayerResult {
  if (capEnd - off < 1) return 'truncated ip header';
  const version = only !== 0 ? only : d[off] >> 4;
  if (version === 4) return decodeIpv4(d, off, capEnd, origEnd, encap, 0);
  if (version === 6) return decodeIpv6(d, off, capEnd, origEnd, encap, 0);
  return 'ip version ' + version;
}

import type { IpPacket } from '../model.js';

// Link chatter: packets a link carries for itself, never a flow of the traced container.

/** ICMPv6 130-143: multicast listener query/report/done, router and neighbour solicitation/advertisement, redirect, MLDv2. */
const isNeighbourOrListener = (type: number) => type >= 130 && type <= 143;

/** Neighbour discovery, MLD and link-local multicast (ff02::/16, 224.0.0.0/24): the link talking to itself. */
export function isLinkChatter(ip: IpPacket): boolean {
  // An IPv6 address is a bigint, an IPv4 one a number.
  if (typeof ip.dst === 'bigint') {
    if (ip.l4.kind === 'icmp' && isNeighbourOrListener(ip.l4.type)) return true;
    return ip.dst >> 112n === 0xff02n;
  }
  return Math.floor(ip.dst / 256) === 0xe00000;
}

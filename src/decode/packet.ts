import type { IpAddress } from '../addresses.js';
import type { IpPacket, L4 } from '../model.js';

/** What a layer decoder hands back: the packet, or why the frame holds none (a skip reason). */
export type LayerResult = IpPacket | string;

/** `depth` value for a packet quoted inside an ICMP error: no tunnels, no quotes inside quotes. */
export const QUOTED = -1;

/** Tunnels opened inside tunnels before we stop and keep the carrier packet (nested VXLAN is real). */
export const MAX_TUNNEL_DEPTH = 4;

/**
 * `l4` for a protocol we do not decode (or a fragment without its header): one shared,
 * frozen object per protocol number, because most packets start with one and it costs an
 * allocation per packet otherwise.
 */
const OTHER_L4: readonly L4[] = Array.from({ length: 256 }, (_, proto) => Object.freeze({ kind: 'other' as const, proto }));

export function otherL4(proto: number): L4 {
  return OTHER_L4[proto & 0xff];
}

/**
 * Every packet is built by this one function with every field present, so all packets
 * share one object shape and the code that reads them stays monomorphic.
 */
export function newPacket(
  version: 4 | 6,
  src: IpAddress,
  dst: IpAddress,
  ttl: number,
  ipId: number,
  length: number,
  proto: number,
  fragment: IpPacket['fragment'],
): IpPacket {
  return {
    version,
    src,
    dst,
    ttl,
    ipId,
    length,
    proto,
    fragment,
    l4: otherL4(proto),
    payloadHash: 0,
    truncated: undefined,
  };
}

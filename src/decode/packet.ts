import type { IpPacket, L4 } from '../model.js';

/** What a layer decoder hands back: the packet, or why the frame holds none (a skip reason). */
export type LayerResult = IpPacket | string;

/** `depth` value for a packet quoted inside an ICMP error: no tunnels, no quotes inside quotes. */
export const QUOTED = -1;

/** Tunnels opened inside tunnels before we stop and keep the carrier packet (nested VXLAN is real). */
export const MAX_TUNNEL_DEPTH = 4;

/**
 * Every packet is built by this one function with every field present, so all packets
 * share one object shape and the code that reads them stays monomorphic.
 */
export function newPacket(
  version: 4 | 6,
  src: string,
  dst: string,
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
    l4: { kind: 'other', proto } as L4,
    payloadHash: 0,
    truncated: undefined,
  };
}

// The decode stage: one captured frame in, the IP packet the correlator matches out.
// Pure and total: every input, however malformed, gives a value, never an exception.
import type { Encap, IpPacket } from '../model.js';
import { LinkType } from '../model.js';
import { decodeEthernet, decodeLinuxSll, decodeLinuxSll2, decodeLoopback, decodeRawIp } from './link.js';
import type { LayerResult } from './packet.js';

export type { LayerResult } from './packet.js';

export { hashBytes } from './bytes.js';

/**
 * The packet with the VLANs and tunnels it was found in (outermost first), or why the
 * frame holds none (ARP, LLDP, a truncated header...), kept as a value the caller can show.
 */
export type Decoded = { kind: 'packet'; ip: IpPacket; encap: readonly Encap[] } | { kind: 'skipped'; skip: string };

/** Most frames are in no tunnel: one shared empty list for them. */
const NO_ENCAP: readonly Encap[] = Object.freeze([]);

/** The link types decodeFrame reads; any other gives { skip: 'link type N' }. */
export const SUPPORTED_LINK_TYPES: ReadonlySet<number> = new Set<number>([
  LinkType.NULL, LinkType.ETHERNET, LinkType.RAW, LinkType.LOOP, LinkType.LINUX_SLL, LinkType.IPV4, LinkType.IPV6, LinkType.LINUX_SLL2,
]);

export function decodeFrame(linkType: number, data: Uint8Array, origLen: number): Decoded {
  const encap: Encap[] = [];
  const result = decodePacketAt(linkType, data, 0, data.length, origLen, encap);
  if (typeof result === 'string') return { kind: 'skipped', skip: result };
  return { kind: 'packet', ip: result, encap: encap.length === 0 ? NO_ENCAP : encap };
}

/**
 * decodeFrame for a frame held at d[start, end) of a larger buffer, without the result
 * object: the packet, or why the frame holds none. VLANs and tunnels are pushed onto
 * `encap`, which the caller passes in empty. The packet keeps no reference to `d`, so the
 * buffer may be reused as soon as this returns (the replay's hot path).
 */
export function decodePacketAt(linkType: number, d: Uint8Array, start: number, end: number, origLen: number, encap: Encap[]): LayerResult {
  const capLen = end - start;
  return decodeLink(linkType, d, start, end, start + (origLen > capLen ? origLen : capLen), encap);
}

/** The shared empty list for a packet in no tunnel or VLAN (see decodePacketAt's `encap`). */
export function encapOf(encap: Encap[]): readonly Encap[] {
  return encap.length === 0 ? NO_ENCAP : encap.splice(0);
}

function decodeLink(linkType: number, d: Uint8Array, off: number, capEnd: number, origEnd: number, encap: Encap[]): LayerResult {
  switch (linkType) {
    case LinkType.ETHERNET: return decodeEthernet(d, off, capEnd, origEnd, encap, 0);
    case LinkType.LINUX_SLL: return decodeLinuxSll(d, off, capEnd, origEnd, encap);
    case LinkType.LINUX_SLL2: return decodeLinuxSll2(d, off, capEnd, origEnd, encap);
    case LinkType.RAW: return decodeRawIp(d, off, capEnd, origEnd, encap, 0);
    case LinkType.IPV4: return decodeRawIp(d, off, capEnd, origEnd, encap, 4);
    case LinkType.IPV6: return decodeRawIp(d, off, capEnd, origEnd, encap, 6);
    case LinkType.NULL: return decodeLoopback(d, off, capEnd, origEnd, encap, false);
    case LinkType.LOOP: return decodeLoopback(d, off, capEnd, origEnd, encap, true);
    default: return 'link type ' + linkType;
  }
}

import type { Encap, IpPacket } from '../model.js';
import { ipv4At } from './address.js';
import { payloadHash, u16 } from './bytes.js';
import { decodeTransport } from './transport.js';
import { type LayerResult, newPacket, QUOTED } from './packet.js';

const TCP = 6;

/**
 * An IPv4 header at d[off]. `capEnd` is where the captured bytes end, `origEnd` where the
 * frame ended on the wire (they differ when the snaplen cut it).
 */
export function decodeIpv4(
  d: Uint8Array, off: number, capEnd: number, origEnd: number, encap: Encap[], depth: number,
): LayerResult {
  const avail = capEnd - off;
  if (avail < 1) return 'truncated ipv4 header';
  const version = d[off] >> 4;
  if (version !== 4) return 'ipv4 version ' + version + ' != 4';
  if (avail < 20) {
    return origEnd - off < 20 ? 'ipv4 length ' + (origEnd - off) + ' < 20' : 'truncated ipv4 header';
  }
  const headerLen = (d[off] & 0x0f) * 4;
  if (headerLen < 20) return 'ipv4 header length ' + headerLen + ' < 20';
  let totalLen = u16(d, off + 2);
  // TCP segmentation offload (TSO, BIG TCP) hands the capture a super-packet whose total
  // length is 0; tcpdump presumes the same, for TCP only.
  if (totalLen === 0 && d[off + 9] === TCP) totalLen = (depth === QUOTED ? capEnd : origEnd) - off;
  if (totalLen < headerLen) return 'ipv4 total length ' + totalLen + ' < header length ' + headerLen;
  const flagsOffset = u16(d, off + 6);
  const fragOffset = (flagsOffset & 0x1fff) * 8;
  const more = (flagsOffset & 0x2000) !== 0;
  const proto = d[off + 9];
  const pkt = newPacket(
    4, ipv4At(d, off + 12), ipv4At(d, off + 16), d[off + 8], u16(d, off + 4), totalLen, proto,
    fragOffset !== 0 || more ? { offset: fragOffset, more } : undefined,
  );
  return decodeIpv4Payload(pkt, d, off, headerLen, capEnd, origEnd, encap, depth);
}

function decodeIpv4Payload(
  pkt: IpPacket, d: Uint8Array, off: number, headerLen: number,
  capEnd: number, origEnd: number, encap: Encap[], depth: number,
): LayerResult {
  const payloadEnd = off + pkt.length;
  // A quote is cut short by design; a frame shorter than its own total length is not.
  if (payloadEnd > origEnd && depth !== QUOTED) pkt.truncated = 'ipv4 payload';
  const end = payloadEnd < capEnd ? payloadEnd : capEnd;
  const start = off + headerLen;
  if (start > end) {
    pkt.truncated = 'ipv4 options';
    return pkt;
  }
  if (pkt.fragment !== undefined && pkt.fragment.offset !== 0) {
    // Only the first fragment carries the transport header; the rest is payload.
    pkt.payloadHash = payloadHash(d, start, end);
    return pkt;
  }
  return decodeTransport(pkt, d, start, end, payloadEnd, encap, depth);
}

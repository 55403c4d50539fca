import type { Encap, IpPacket } from '../model.js';
import { ipv6At } from './address.js';
import { payloadHash, u16, u32 } from './bytes.js';
import { decodeTransport } from './transport.js';
import { type LayerResult, newPacket, otherL4, QUOTED } from './packet.js';

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AUTH_HEADER = 51;
const DEST_OPTIONS = 60;
const TCP = 6;
/** More extension headers than this is not a packet anyone sends; stop walking. */
const MAX_EXTENSION_HEADERS = 16;
const JUMBO_OPTION = 0xc2;

/** An IPv6 header at d[off]; see decodeIpv4 for capEnd and origEnd. */
export function decodeIpv6(
  d: Uint8Array, off: number, capEnd: number, origEnd: number, encap: Encap[], depth: number,
): LayerResult {
  const avail = capEnd - off;
  if (avail < 1) return 'truncated ipv6 header';
  const version = d[off] >> 4;
  if (version !== 6) return 'ipv6 version ' + version + ' != 6';
  if (avail < 40) {
    return origEnd - off < 40 ? 'ipv6 length ' + (origEnd - off) + ' < 40' : 'truncated ipv6 header';
  }
  const payloadLen = u16(d, off + 4);
  const pkt = newPacket(
    6, ipv6At(d, off + 8), ipv6At(d, off + 24), d[off + 7], 0, payloadLen + 40, d[off + 6], undefined,
  );
  if (payloadLen === 0) pkt.length = zeroPayloadLength(d, off, capEnd, depth === QUOTED ? capEnd : origEnd);
  const payloadEnd = off + pkt.length;
  if (payloadEnd > origEnd && depth !== QUOTED) pkt.truncated = 'ipv6 payload';
  const end = payloadEnd < capEnd ? payloadEnd : capEnd;
  const start = walkExtensionHeaders(pkt, d, off + 40, end);
  if (start < 0) return pkt;
  if (pkt.fragment !== undefined && pkt.fragment.offset !== 0) {
    pkt.payloadHash = payloadHash(d, start, end);
    return pkt;
  }
  return decodeTransport(pkt, d, start, end, payloadEnd, encap, depth);
}

/**
 * Follows the extension header chain, setting proto, ipId and fragment on the packet.
 * Returns where the transport header starts, or -1 when the bytes end inside the chain.
 */
function walkExtensionHeaders(pkt: IpPacket, d: Uint8Array, start: number, end: number): number {
  let next = pkt.proto;
  let cur = start;
  for (let n = 0; n < MAX_EXTENSION_HEADERS; n++) {
    if (next !== HOP_BY_HOP && next !== ROUTING && next !== DEST_OPTIONS && next !== FRAGMENT && next !== AUTH_HEADER) break;
    const len = cur + 2 > end ? 0 : next === FRAGMENT ? 8 : next === AUTH_HEADER ? (d[cur + 1] + 2) * 4 : (d[cur + 1] + 1) * 8;
    if (len === 0 || cur + len > end) {
      pkt.proto = next;
      pkt.l4 = otherL4(next);
      pkt.truncated = 'ipv6 extension header';
      return -1;
    }
    if (next === FRAGMENT) {
      const offsetFlags = u16(d, cur + 2);
      pkt.ipId = u32(d, cur + 4);
      pkt.fragment = { offset: offsetFlags & 0xfff8, more: (offsetFlags & 1) !== 0 };
    }
    next = d[cur];
    cur += len;
  }
  pkt.proto = next;
  pkt.l4 = otherL4(next);
  return cur;
}

/**
 * A payload length of 0 means a jumbogram (RFC 2675: the length is in a hop-by-hop option)
 * or, for TCP without that option, an offloaded super-packet (BIG TCP) whose length only
 * the frame knows. Otherwise it means what it says.
 */
function zeroPayloadLength(d: Uint8Array, off: number, capEnd: number, origEnd: number): number {
  const next = d[off + 6];
  const hbh = off + 40;
  if (next === HOP_BY_HOP && hbh + 2 <= capEnd) {
    const optEnd = Math.min(hbh + (d[hbh + 1] + 1) * 8, capEnd);
    let o = hbh + 2;
    while (o + 2 <= optEnd) {
      const type = d[o];
      if (type === 0) {
        o += 1; // Pad1 has no length byte
        continue;
      }
      if (type === JUMBO_OPTION && d[o + 1] === 4 && o + 6 <= optEnd) return u32(d, o + 2) + 40;
      o += 2 + d[o + 1];
    }
  }
  return next === TCP && origEnd - off > 40 ? origEnd - off : 40;
}

import { expect } from 'vitest';
import { formatAddress } from '../../src/addresses.js';
import { decodeFrame } from '../../src/decode/index.js';
import type { Encap, IpPacket, L4 } from '../../src/model.js';

// Decode hands on values (addresses as numbers/bigints, encap as tagged values); these
// tests assert what a person reads, so they compare the packet in its printed form.

/** An IpPacket with its addresses as text, quoted packets too. */
export type ShownPacket = Omit<IpPacket, 'src' | 'dst' | 'l4'> & { src: string; dst: string; l4: Exclude<L4, { kind: 'icmp' }> | ShownIcmp };
type ShownIcmp = Omit<Extract<L4, { kind: 'icmp' }>, 'quoted'> & { quoted?: ShownPacket };

export type ShownDecoded = { ip: ShownPacket; encap: string[] } | { skip: string };

export function showPacket(ip: IpPacket): ShownPacket {
  const l4 = ip.l4.kind === 'icmp' && ip.l4.quoted ? { ...ip.l4, quoted: showPacket(ip.l4.quoted) } : ip.l4;
  return { ...ip, src: formatAddress(ip.src), dst: formatAddress(ip.dst), l4 } as ShownPacket;
}

/** "vlan 10", "vxlan 4097": the tags and tunnels as tcpdump users name them. */
export function showEncap(e: Encap): string {
  return e.kind === 'vlan' ? `vlan ${e.id}` : `vxlan ${e.vni}`;
}

/** decodeFrame, shown: `{ skip }` or `{ ip, encap }` with text addresses and encap names. */
export function decodeShown(linkType: number, data: Uint8Array, origLen: number): ShownDecoded {
  const d = decodeFrame(linkType, data, origLen);
  return d.kind === 'skipped' ? { skip: d.skip } : { ip: showPacket(d.ip), encap: d.encap.map(showEncap) };
}

/** Decodes and insists a packet came out, so tests can assert on it directly. */
export function packetOf(linkType: number, frame: Uint8Array, origLen = frame.length): { ip: ShownPacket; encap: string[] } {
  const decoded = decodeShown(linkType, frame, origLen);
  if ('skip' in decoded) expect.fail(`expected a packet, got skip: ${decoded.skip}`);
  return decoded;
}

export function ipOf(linkType: number, frame: Uint8Array, origLen = frame.length): ShownPacket {
  return packetOf(linkType, frame, origLen).ip;
}

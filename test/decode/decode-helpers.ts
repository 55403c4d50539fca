import { expect } from 'vitest';
import { decodeFrame } from '../../src/decode/index.js';
import type { Encap, IpPacket } from '../../src/model.js';

// Decode hands on encap as tagged values; these tests assert what a person reads, so they
// compare the packet in its printed form.

export type ShownPacket = IpPacket;

export type ShownDecoded = { ip: ShownPacket; encap: string[] } | { skip: string };

/** "vlan 10", "vxlan 4097": the tags and tunnels as tcpdump users name them. */
export function showEncap(e: Encap): string {
  return e.kind === 'vlan' ? `vlan ${e.id}` : `vxlan ${e.vni}`;
}

/** decodeFrame, shown: `{ skip }` or `{ ip, encap }` with encap names. */
export function decodeShown(linkType: number, data: Uint8Array, origLen: number): ShownDecoded {
  const d = decodeFrame(linkType, data, origLen);
  return 'skip' in d ? { skip: d.skip } : { ip: d.ip, encap: d.encap.map(showEncap) };
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

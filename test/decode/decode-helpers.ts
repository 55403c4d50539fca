import { expect } from 'vitest';
import { decodeFrame, type Decoded } from '../../src/decode/index.js';
import type { IpPacket } from '../../src/model.js';

/** Decodes and insists a packet came out, so tests can assert on it directly. */
export function packetOf(linkType: number, frame: Uint8Array, origLen = frame.length): { ip: IpPacket; encap: string[] } {
  const decoded: Decoded = decodeFrame(linkType, frame, origLen);
  if ('skip' in decoded) expect.fail(`expected a packet, got skip: ${decoded.skip}`);
  return decoded;
}

export function ipOf(linkType: number, frame: Uint8Array, origLen = frame.length): IpPacket {
  return packetOf(linkType, frame, origLen).ip;
}

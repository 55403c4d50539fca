// The fixtures' frames read here with a few lines of their own (classic pcap, Ethernet, IPv4 and
// IPv6 headers), so that what the schema says of a report is checked against the bytes and not
// against hoptrace's own readers.
import fs from 'node:fs';

export interface RawFrame {
  /** Microseconds since the epoch. */
  tsUs: number;
  etherType: number;
  ip?: { v: 4 | 6; src: string; dst: string; ttl: number; proto: number; l4: Buffer };
}

/** Every record of a little-endian classic pcap file of Ethernet frames (micro- or nanosecond: the recordings of live traces). */
export function readPcap(file: string): RawFrame[] {
  const bytes = fs.readFileSync(file);
  const magic = bytes.readUInt32LE(0);
  if ((magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) || bytes.readUInt32LE(20) !== 1) throw new Error(`${file}: not a little-endian Ethernet pcap`);
  const perUs = magic === 0xa1b23c4d ? 1000 : 1;
  const frames: RawFrame[] = [];
  for (let at = 24; at + 16 <= bytes.length; ) {
    const caplen = bytes.readUInt32LE(at + 8);
    const data = bytes.subarray(at + 16, at + 16 + caplen);
    frames.push({ tsUs: bytes.readUInt32LE(at) * 1e6 + bytes.readUInt32LE(at + 4) / perUs, ...ethernet(data) });
    at += 16 + caplen;
  }
  return frames;
}

function ethernet(data: Buffer): Omit<RawFrame, 'tsUs'> {
  let type = data.readUInt16BE(12);
  let at = 14;
  while (type === 0x8100 || type === 0x88a8) {
    type = data.readUInt16BE(at + 2);
    at += 4;
  }
  const packet = data.subarray(at);
  if (type === 0x0800) {
    const ihl = (packet[0]! & 0x0f) * 4;
    return { etherType: type, ip: { v: 4, src: [...packet.subarray(12, 16)].join('.'), dst: [...packet.subarray(16, 20)].join('.'), ttl: packet[8]!, proto: packet[9]!, l4: packet.subarray(ihl) } };
  }
  if (type === 0x86dd) {
    return { etherType: type, ip: { v: 6, src: v6(packet.subarray(8, 24)), dst: v6(packet.subarray(24, 40)), ttl: packet[7]!, proto: packet[6]!, l4: packet.subarray(40) } };
  }
  return { etherType: type };
}

function v6(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
  // The longest run of zero groups becomes '::', as every tool prints it.
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

/** ICMP (or ICMPv6) type, code and, for echoes, the sequence number. */
export function icmpOf(frame: RawFrame): { type: number; code: number; seq: number } | undefined {
  const ip = frame.ip;
  if (!ip || (ip.proto !== 1 && ip.proto !== 58)) return undefined;
  return { type: ip.l4[0]!, code: ip.l4[1]!, seq: ip.l4.readUInt16BE(6) };
}

/** TCP flags, for resets. */
export function tcpFlags(frame: RawFrame): number | undefined {
  return frame.ip?.proto === 6 ? frame.ip.l4[13] : undefined;
}

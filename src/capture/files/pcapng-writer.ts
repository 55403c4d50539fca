// pcapng block builders (draft-ietf-opsawg-pcapng), the writing side of pcapng-blocks.ts:
// one function per block type, each returning the block's bytes, little-endian. No npm
// package writes pcapng and libpcap cannot, so these are ours. A PcapngFile streams blocks
// to a file in ~1 MiB writes, so a trace of any length is written with flat memory.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { InputError } from '../../errors.js';
import { BYTE_ORDER_MAGIC, BlockType, MAX_BLOCK_LENGTH, Option } from './pcapng-blocks.js';

/** if_tsresol 9: timestamps count nanoseconds. */
export const TSRESOL_NANOSECONDS = 9;

/** epb_flags bits 0-1: which way the packet crossed the interface. */
export const EpbDirection = { UNKNOWN: 0, INBOUND: 1, OUTBOUND: 2 } as const;

const MAX_OPTION_LENGTH = 0xffff;

/** One option: its code and value bytes (strings are UTF-8, without a terminating NUL). */
export type BlockOption = [code: number, value: Uint8Array | string];

function optionBytes(options: BlockOption[]): Buffer {
  if (options.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const [code, value] of options) {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    // An over-long comment is cut (a string at a character boundary) rather than making the block unreadable.
    let length = Math.min(bytes.length, MAX_OPTION_LENGTH);
    if (typeof value === 'string') while (length < bytes.length && (bytes[length] & 0xc0) === 0x80) length--;
    const option = Buffer.alloc(4 + ((length + 3) & ~3));
    option.writeUInt16LE(code, 0);
    option.writeUInt16LE(length, 2);
    bytes.copy(option, 4, 0, length);
    parts.push(option);
  }
  parts.push(Buffer.alloc(4)); // opt_endofopt
  return Buffer.concat(parts);
}

/** Type, length, body, options, trailing length: the frame every block shares. */
function block(type: number, body: Buffer, options: BlockOption[], data?: Uint8Array): Buffer {
  const opts = optionBytes(options);
  const dataLength = data ? (data.length + 3) & ~3 : 0;
  const length = 12 + body.length + dataLength + opts.length;
  if (length > MAX_BLOCK_LENGTH) throw new RangeError(`pcapng block of ${length} bytes exceeds the limit of ${MAX_BLOCK_LENGTH}`);
  const out = Buffer.alloc(length);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(length, 4);
  body.copy(out, 8);
  if (data) out.set(data, 8 + body.length);
  opts.copy(out, 8 + body.length + dataLength);
  out.writeUInt32LE(length, length - 4);
  return out;
}

/** A Section Header Block, version 1.0, section length unknown (-1), as a streaming writer must. */
export function sectionHeaderBlock(options: BlockOption[]): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  body.writeUInt16LE(1, 4);
  body.writeUInt16LE(0, 6);
  body.writeBigInt64LE(-1n, 8);
  return block(BlockType.SECTION_HEADER, body, options);
}

/** An Interface Description Block; snaplen 0 means no limit. */
export function interfaceDescriptionBlock(linkType: number, snaplen: number, options: BlockOption[]): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16LE(linkType, 0);
  body.writeUInt32LE(snaplen, 4);
  return block(BlockType.INTERFACE_DESCRIPTION, body, options);
}

/**
 * A 64-bit nanosecond count, as the two 32-bit halves pcapng stores it (high first). Today's
 * counts pass 2^53, so the seconds are split in 16-bit limbs and every product stays exact;
 * no BigInt, as it runs once per packet.
 */
export function nanosecondHalves(tsSec: number, tsNsec: number): [number, number] {
  const secHigh = Math.floor(tsSec / 65536);
  const secLow = tsSec - secHigh * 65536;
  // ns = secHigh * 1e9 * 2^16 + (secLow * 1e9 + tsNsec); both products below 2^53.
  const x = secHigh * 1e9;
  const y = secLow * 1e9 + tsNsec;
  const xHigh = Math.floor(x / 65536);
  const low = (x - xHigh * 65536) * 65536 + (y % 4294967296);
  const carry = Math.floor(low / 4294967296);
  return [xHigh + Math.floor(y / 4294967296) + carry, low - carry * 4294967296];
}

export interface PacketToWrite {
  iface: number;
  tsSec: number;
  tsNsec: number;
  data: Uint8Array;
  origLen: number;
}

/** An Enhanced Packet Block, timestamped in nanoseconds (the interface must say if_tsresol 9). */
export function enhancedPacketBlock(packet: PacketToWrite, options: BlockOption[]): Buffer {
  const body = Buffer.alloc(20);
  const [high, low] = nanosecondHalves(packet.tsSec, packet.tsNsec);
  body.writeUInt32LE(packet.iface, 0);
  body.writeUInt32LE(high, 4);
  body.writeUInt32LE(low, 8);
  body.writeUInt32LE(packet.data.length, 12);
  body.writeUInt32LE(Math.max(packet.origLen, packet.data.length), 16);
  return block(BlockType.ENHANCED_PACKET, body, options, packet.data);
}

/** epb_flags with only the direction bits set. */
export function epbFlags(direction: number): Uint8Array {
  const value = Buffer.alloc(4);
  value.writeUInt32LE(direction & 3, 0);
  return value;
}

/** A 64-bit timestamp option (isb_starttime, isb_endtime) in the interface's nanoseconds. */
export function timestampOption(code: number, tsSec: number, tsNsec: number): BlockOption {
  const [high, low] = nanosecondHalves(tsSec, tsNsec);
  const value = Buffer.alloc(8);
  value.writeUInt32LE(high, 0);
  value.writeUInt32LE(low, 4);
  return [code, value];
}

/** An Interface Statistics Block; its timestamp is when the statistics were taken. */
export function interfaceStatisticsBlock(iface: number, tsSec: number, tsNsec: number, options: BlockOption[]): Buffer {
  const body = Buffer.alloc(12);
  const [high, low] = nanosecondHalves(tsSec, tsNsec);
  body.writeUInt32LE(iface, 0);
  body.writeUInt32LE(high, 4);
  body.writeUInt32LE(low, 8);
  return block(BlockType.INTERFACE_STATISTICS, body, options);
}

const CHUNK = 1 << 20;

/**
 * Blocks appended to a file through one reused 1 MiB buffer, written out whenever it fills:
 * packets are built in place (a buffer per packet made the garbage collector the main cost).
 */
export class PcapngFile {
  private readonly fd: number;
  private chunk = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  private flushed = 0;
  private closed = false;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (error) {
      throw new InputError(`cannot write ${path}: ${(error as Error).message}`);
    }
  }

  append(blockBytes: Buffer): void {
    if (this.closed) return;
    blockBytes.copy(this.chunk, this.reserve(blockBytes.length));
  }

  /**
   * An Enhanced Packet Block written straight into the buffer: bytes[start, start + caplen)
   * timestamped in nanoseconds (the interface says if_tsresol 9), then an opt_comment per
   * comment given and epb_flags when known. Room is reserved for the comments' longest UTF-8
   * form and the unused rest given back, so no comment is measured before it is written.
   */
  appendPacket(
    iface: number,
    tsSec: number,
    tsNsec: number,
    bytes: Uint8Array,
    start: number,
    caplen: number,
    origLen: number,
    comments: readonly string[],
    flags: number,
  ): void {
    if (this.closed) return;
    const padded = (caplen + 3) & ~3;
    let room = 32 + padded + (flags !== 0 ? 8 : 0) + 4;
    for (const c of comments) room += 4 + Math.min(3 * c.length, MAX_OPTION_LENGTH) + 3;
    const at = this.reserve(room);
    const buf = this.chunk;
    const [high, low] = nanosecondHalves(tsSec, tsNsec);
    buf.writeUInt32LE(BlockType.ENHANCED_PACKET, at);
    buf.writeUInt32LE(iface, at + 8);
    buf.writeUInt32LE(high, at + 12);
    buf.writeUInt32LE(low, at + 16);
    buf.writeUInt32LE(caplen, at + 20);
    buf.writeUInt32LE(Math.max(origLen, caplen), at + 24);
    buf.set(bytes.subarray(start, start + caplen), at + 28);
    // The buffer is reused: padding must be zeroed, not left as the last block's bytes.
    buf.fill(0, at + 28 + caplen, at + 28 + padded);
    let p = at + 28 + padded;
    for (const comment of comments) {
      // An over-long comment is cut (at a character boundary) rather than making the block unreadable.
      const n = buf.write(comment, p + 4, Math.min(3 * comment.length, MAX_OPTION_LENGTH), 'utf8');
      buf.writeUInt16LE(Option.COMMENT, p);
      buf.writeUInt16LE(n, p + 2);
      const end = p + 4 + ((n + 3) & ~3);
      buf.fill(0, p + 4 + n, end);
      p = end;
    }
    if (flags !== 0) {
      buf.writeUInt16LE(Option.EPB_FLAGS, p);
      buf.writeUInt16LE(4, p + 2);
      buf.writeUInt32LE(flags, p + 4);
      p += 8;
    }
    if (p > at + 28 + padded) {
      buf.writeUInt32LE(0, p); // opt_endofopt
      p += 4;
    }
    const length = p + 4 - at;
    buf.writeUInt32LE(length, at + 4);
    buf.writeUInt32LE(length, p);
    this.used = at + length;
  }

  /** Room for n bytes at the returned offset of this.chunk. */
  private reserve(n: number): number {
    if (this.used + n > this.chunk.length) {
      this.flush();
      if (n > this.chunk.length) this.chunk = Buffer.allocUnsafe(n);
    }
    const at = this.used;
    this.used += n;
    return at;
  }

  /** Offset in the file where the next block will start. */
  get position(): number {
    return this.flushed + this.used;
  }

  flush(): void {
    if (this.used === 0 || this.closed) return;
    let offset = 0;
    while (offset < this.used) offset += writeSync(this.fd, this.chunk, offset, this.used - offset);
    this.flushed += this.used;
    this.used = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.closed = true;
  }
}

/**
 * An Enhanced Packet Block (little-endian, as PcapngFile writes it) with its comments replaced
 * by `comments`; its other options (epb_flags) are kept after them, and the packet untouched.
 */
export function withPacketComments(epb: Buffer, comments: readonly string[]): Buffer {
  const caplen = epb.readUInt32LE(20);
  const optionsAt = 28 + ((caplen + 3) & ~3);
  const kept: BlockOption[] = comments.map((c) => [Option.COMMENT, c]);
  const end = epb.length - 4;
  for (let p = optionsAt; p + 4 <= end; ) {
    const code = epb.readUInt16LE(p);
    const size = epb.readUInt16LE(p + 2);
    if (code === Option.END || p + 4 + size > end) break;
    if (code !== Option.COMMENT) kept.push([code, epb.subarray(p + 4, p + 4 + size)]);
    p += 4 + ((size + 3) & ~3);
  }
  const body = epb.subarray(8, 28);
  return block(BlockType.ENHANCED_PACKET, Buffer.from(body), kept, epb.subarray(28, 28 + caplen));
}

/** The comments of an Enhanced Packet Block written by PcapngFile, in order. */
export function packetComments(epb: Buffer): string[] {
  const caplen = epb.readUInt32LE(20);
  const out: string[] = [];
  const end = epb.length - 4;
  for (let p = 28 + ((caplen + 3) & ~3); p + 4 <= end; ) {
    const code = epb.readUInt16LE(p);
    const size = epb.readUInt16LE(p + 2);
    if (code === Option.END || p + 4 + size > end) break;
    if (code === Option.COMMENT) out.push(epb.toString('utf8', p + 4, p + 4 + size));
    p += 4 + ((size + 3) & ~3);
  }
  return out;
}

// Byte builders for capture files: each test writes exactly the bytes it talks about.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A folder for the files one test file writes; remove() deletes it. */
export function scratchDir(): { path(name: string): string; write(name: string, bytes: Uint8Array): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-readers-'));
  return {
    path: (name) => join(dir, name),
    write(name, bytes) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Packet bytes whose content says which packet they are: byte i is (seed + i) & 0xff. */
export function payload(length: number, seed = 0): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (seed + i) & 0xff;
  return bytes;
}

export interface PcapHeaderSpec {
  littleEndian?: boolean;
  nanosecond?: boolean;
  version?: [number, number];
  snaplen?: number;
  /** The whole 32-bit link-type field, upper bits included. */
  linkType?: number;
}

export interface PcapRecordSpec {
  sec: number;
  /** Microseconds or nanoseconds, as the file says. */
  frac: number;
  data: Uint8Array;
  origLen?: number;
  /** Written instead of data.length, for lying headers. */
  caplen?: number;
}

export function pcapHeader(spec: PcapHeaderSpec = {}): Buffer {
  const le = spec.littleEndian ?? true;
  const b = Buffer.alloc(24);
  const u32 = (v: number, at: number) => (le ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at));
  const u16 = (v: number, at: number) => (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  u32(spec.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(spec.version?.[0] ?? 2, 4);
  u16(spec.version?.[1] ?? 4, 6);
  u32(spec.snaplen ?? 65535, 16);
  u32(spec.linkType ?? 1, 20);
  return b;
}

export function pcapRecord(rec: PcapRecordSpec, littleEndian = true): Buffer {
  const b = Buffer.alloc(16);
  const u32 = (v: number, at: number) => (littleEndian ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at));
  u32(rec.sec, 0);
  u32(rec.frac, 4);
  u32(rec.caplen ?? rec.data.length, 8);
  u32(rec.origLen ?? rec.data.length, 12);
  return Buffer.concat([b, rec.data]);
}

export function pcapFile(header: PcapHeaderSpec, records: PcapRecordSpec[]): Buffer {
  const le = header.littleEndian ?? true;
  return Buffer.concat([pcapHeader(header), ...records.map((r) => pcapRecord(r, le))]);
}

export interface InterfaceSpec {
  linkType?: number;
  snaplen?: number;
  name?: string;
  /** The if_tsresol byte: n for 10^-n, 0x80 | n for 2^-n. */
  tsresol?: number;
  tsoffset?: bigint;
}

/**
 * A pcapng writer that keeps a current byte order, so that sections of different order can
 * follow each other in one file.
 */
export class PcapngBuilder {
  private readonly parts: Buffer[] = [];
  private le = true;

  /** A block with the given body, padded to 4 bytes, with matching lengths unless told. */
  block(type: number, body: Uint8Array, lengths?: { header?: number; trailer?: number }): this {
    const padded = (body.length + 3) & ~3;
    const total = 12 + padded;
    const b = Buffer.alloc(total);
    this.u32(b, type, 0);
    this.u32(b, lengths?.header ?? total, 4);
    b.set(body, 8);
    this.u32(b, lengths?.trailer ?? total, total - 4);
    this.parts.push(b);
    return this;
  }

  section(spec: { littleEndian?: boolean; version?: [number, number]; bom?: number } = {}): this {
    this.le = spec.littleEndian ?? true;
    const body = Buffer.alloc(16);
    this.u32(body, spec.bom ?? 0x1a2b3c4d, 0);
    this.u16(body, spec.version?.[0] ?? 1, 4);
    this.u16(body, spec.version?.[1] ?? 0, 6);
    body.fill(0xff, 8, 16); // section length -1: not given
    return this.block(0x0a0d0d0a, body);
  }

  iface(spec: InterfaceSpec = {}): this {
    const fixed = Buffer.alloc(8);
    this.u16(fixed, spec.linkType ?? 1, 0);
    this.u32(fixed, spec.snaplen ?? 0, 4);
    const options: Buffer[] = [];
    if (spec.name !== undefined) options.push(this.option(2, Buffer.from(spec.name, 'utf8')));
    if (spec.tsresol !== undefined) options.push(this.option(9, Buffer.from([spec.tsresol])));
    if (spec.tsoffset !== undefined) {
      const v = Buffer.alloc(8);
      if (this.le) v.writeBigInt64LE(spec.tsoffset);
      else v.writeBigInt64BE(spec.tsoffset);
      options.push(this.option(14, v));
    }
    if (options.length > 0) options.push(Buffer.alloc(4)); // opt_endofopt
    return this.block(1, Buffer.concat([fixed, ...options]));
  }

  /** An Enhanced Packet Block; ts is the raw 64-bit count of if_tsresol units. */
  epb(spec: { iface?: number; ts: bigint; data: Uint8Array; origLen?: number; caplen?: number }): this {
    const fixed = Buffer.alloc(20);
    this.u32(fixed, spec.iface ?? 0, 0);
    this.u32(fixed, Number(spec.ts >> 32n), 4);
    this.u32(fixed, Number(spec.ts & 0xffffffffn), 8);
    this.u32(fixed, spec.caplen ?? spec.data.length, 12);
    this.u32(fixed, spec.origLen ?? spec.data.length, 16);
    return this.block(6, Buffer.concat([fixed, spec.data]));
  }

  spb(spec: { data: Uint8Array; origLen?: number }): this {
    const fixed = Buffer.alloc(4);
    this.u32(fixed, spec.origLen ?? spec.data.length, 0);
    return this.block(3, Buffer.concat([fixed, spec.data]));
  }

  /** The obsolete Packet Block (type 2): 16-bit interface id and a drops count. */
  packetBlock(spec: { iface?: number; ts: bigint; data: Uint8Array; origLen?: number }): this {
    const fixed = Buffer.alloc(20);
    this.u16(fixed, spec.iface ?? 0, 0);
    this.u16(fixed, 7, 2);
    this.u32(fixed, Number(spec.ts >> 32n), 4);
    this.u32(fixed, Number(spec.ts & 0xffffffffn), 8);
    this.u32(fixed, spec.data.length, 12);
    this.u32(fixed, spec.origLen ?? spec.data.length, 16);
    return this.block(2, Buffer.concat([fixed, spec.data]));
  }

  raw(bytes: Uint8Array): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }

  private option(code: number, value: Buffer): Buffer {
    const b = Buffer.alloc(4 + ((value.length + 3) & ~3));
    this.u16(b, code, 0);
    this.u16(b, value.length, 2);
    value.copy(b, 4);
    return b;
  }

  private u32(b: Buffer, v: number, at: number): void {
    if (this.le) b.writeUInt32LE(v >>> 0, at);
    else b.writeUInt32BE(v >>> 0, at);
  }

  private u16(b: Buffer, v: number, at: number): void {
    if (this.le) b.writeUInt16LE(v, at);
    else b.writeUInt16BE(v, at);
  }
}

/** Reads a whole file through a reader, for tests: records and the reader's end state. */
export function readAll<T>(reader: { next(): T | null }): T[] {
  const out: T[] = [];
  for (let rec = reader.next(); rec !== null; rec = reader.next()) out.push(rec);
  return out;
}

/** Records whose times step back and forth (as a hop file holding request, then reply, then the next request does). */
export function wobbly(seed: number, count: number, longest: number): PcapRecordSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    sec: 1_700_000_000 + Math.floor(i / 50),
    frac: ((i % 50) * 20_000 + (i % 3 === 1 ? 30_000 : 0) + seed) % 1_000_000,
    data: payload(60 + ((i * 7919 + seed) % (longest - 60)), i + seed),
  }));
}

/** A trace directory `name` in the scratch folder: one hop per file, in the order given, and a path.json naming them. */
export function traceDir(dir: ReturnType<typeof scratchDir>, name: string, files: Record<string, Buffer>): string {
  const folder = dir.path(name);
  mkdirSync(folder);
  const hops = Object.keys(files).map((file, i) => ({ name: `hop${i}`, file }));
  writeFileSync(join(folder, 'path.json'), JSON.stringify({ hops }));
  for (const [file, bytes] of Object.entries(files)) writeFileSync(join(folder, file), bytes);
  return folder;
}

// One capture file feeding one or more hops: which hop each record belongs to, and which
// records are left out because no decoder stage knows their link type.
import { SUPPORTED_LINK_TYPES } from '../../decode/index.js';
import type { Frame, SourceWarning } from '../../model.js';
import { type CaptureInterface, type OpenOptions, type RecordReader, openCaptureFile } from './open.js';
import { NativePcapReader } from './pcap-native.js';
import { CursorPosition } from './types.js';


export function isDecodedLinkType(linkType: number): boolean {
  return SUPPORTED_LINK_TYPES.has(linkType);
}

/** The Linux "cooked v2" header holds the interface index at bytes 4-7, big-endian. */
export function sll2InterfaceIndex(data: Uint8Array, at = 0): number {
  return ((data[at + 4] << 24) | (data[at + 5] << 16) | (data[at + 6] << 8) | data[at + 7]) >>> 0;
}
export const SLL2_INDEX_END = 8;

/** How a file's records are shared out among hops. */
export type HopMap =
  | { kind: 'whole'; hop: number }
  /** By the reader's interface index (pcapng with several interfaces). */
  | { kind: 'iface'; hopByIface: number[] }
  /** By the interface index in each LINUX_SLL2 header (`tcpdump -i any`). */
  | { kind: 'ifindex'; hopByIfindex: Map<number, number> };

export function unsupportedLinkType(iface: CaptureInterface): string {
  return `unsupported link type ${iface.linkType} (interface ${iface.id})`;
}

export function skippedInterface(file: string, iface: CaptureInterface): SourceWarning {
  return { file, offset: iface.offset, message: `${unsupportedLinkType(iface)}: its packets are skipped` };
}

/** Bytes read so far over the sizes of all the sources' files: for a progress line. */
export function bytesRead(sources: HopSource[]): { done: number; total: number } {
  let done = 0;
  let total = 0;
  for (const source of sources) {
    const p = source.bytes();
    done += p.done;
    total += p.total;
  }
  return { done, total };
}

export class HopSource extends CursorPosition {
  private reader: RecordReader | null = null;
  /** The reader when it is the native classic one: its records are read without an object each. */
  private native: NativePcapReader | null = null;
  /** Per reader interface: 1 decoded, 0 skipped; filled as interfaces appear. */
  private readonly decoded: number[] = [];
  private shortSll2 = 0;
  private progress = { done: 0, total: 0 };

  constructor(
    readonly file: string,
    readonly map: HopMap,
    private readonly options: OpenOptions,
    /** Where warnings go, shared by every source of the trace. */
    private readonly warn: (warning: SourceWarning) => void,
  ) {
    super();
  }

  /** Opens the file; `cursor`: read it only through advance(), so its buffer can be recycled. */
  open(cursor = false): void {
    this.close();
    this.reader = openCaptureFile(this.file, this.options);
    this.native = this.reader instanceof NativePcapReader ? this.reader : null;
    if (cursor) this.native?.recycleBuffer();
    this.progress = { done: 0, total: this.reader.size };
  }

  /** Bytes of the file read so far, and its size; the last figures stay after close. */
  bytes(): { done: number; total: number } {
    if (this.reader) this.progress.done = this.reader.bytesRead();
    return this.progress;
  }

  /** The next frame of this file, or null at its end. */
  nextFrame(): Frame | null {
    if (!this.advance()) return null;
    const b = this.buf;
    const data = this.start === 0 && this.end === b.length ? b : new Uint8Array(b.buffer, b.byteOffset + this.start, this.end - this.start);
    return { hop: this.hop, linkType: this.linkType, tsSec: this.tsSec, tsNsec: this.tsNsec, data, origLen: this.origLen };
  }

  /** Steps onto this file's next frame (see the cursor fields); false at its end. */
  advance(): boolean {
    const reader = this.reader;
    if (!reader) return false;
    const native = this.native;
    if (native) {
      while (native.advance()) {
        if ((this.decoded[0] ?? this.checkInterface(reader, 0)) === 0) continue;
        const hop = this.hopOf(0, native.bytes, native.dataAt, native.caplen);
        if (hop < 0) continue;
        this.place(hop, native.linkType, native.tsSec, native.tsNsec, native.bytes, native.dataAt, native.dataAt + native.caplen, native.origLen);
        return true;
      }
    } else {
      for (let rec = reader.next(); rec !== null; rec = reader.next()) {
        if ((this.decoded[rec.iface] ?? this.checkInterface(reader, rec.iface)) === 0) continue;
        const hop = this.hopOf(rec.iface, rec.data, 0, rec.data.length);
        if (hop < 0) continue;
        this.place(hop, rec.linkType, rec.tsSec, rec.tsNsec, rec.data, 0, rec.data.length, rec.origLen);
        return true;
      }
    }
    this.finish(reader);
    return false;
  }

  private hopOf(iface: number, data: Uint8Array, at: number, length: number): number {
    const map = this.map;
    if (map.kind === 'whole') return map.hop;
    if (map.kind === 'iface') return map.hopByIface[iface] ?? -1;
    if (length < SLL2_INDEX_END) {
      this.shortSll2++;
      return -1;
    }
    return map.hopByIfindex.get(sll2InterfaceIndex(data, at)) ?? -1;
  }

  private checkInterface(reader: RecordReader, index: number): number {
    const iface = reader.interfaces()[index];
    const ok = isDecodedLinkType(iface.linkType) ? 1 : 0;
    if (!ok) this.warn(skippedInterface(this.file, iface));
    this.decoded[index] = ok;
    return ok;
  }

  private finish(reader: RecordReader): void {
    for (const warning of reader.warnings) this.warn(warning);
    if (this.shortSll2 > 0) {
      const message = `${this.shortSll2} records too short for a LINUX_SLL2 header were skipped`;
      this.warn({ file: this.file, offset: 0, message });
    }
    this.close();
  }

  close(): void {
    this.bytes();
    this.reader?.close();
    this.reader = null;
    this.native = null;
    this.shortSll2 = 0;
  }
}

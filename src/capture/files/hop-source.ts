// One capture file feeding one or more hops: which hop each record belongs to, and which
// records are left out because no decoder stage knows their link type.
import { SUPPORTED_LINK_TYPES } from '../../decode/index.js';
import type { Frame, SourceWarning } from '../../model.js';
import { type CaptureInterface, type CaptureRecord, type OpenOptions, type RecordReader, openCaptureFile } from './open.js';


export function isDecodedLinkType(linkType: number): boolean {
  return SUPPORTED_LINK_TYPES.has(linkType);
}

/** The Linux "cooked v2" header holds the interface index at bytes 4-7, big-endian. */
export function sll2InterfaceIndex(data: Uint8Array): number {
  return ((data[4] << 24) | (data[5] << 16) | (data[6] << 8) | data[7]) >>> 0;
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

export class HopSource {
  private reader: RecordReader | null = null;
  /** Per reader interface: 1 decoded, 0 skipped; filled as interfaces appear. */
  private readonly decoded: number[] = [];
  private shortSll2 = 0;
  private progress = { done: 0, total: 0 };

  constructor(
    readonly file: string,
    private readonly map: HopMap,
    private readonly options: OpenOptions,
    /** Where warnings go, shared by every source of the trace. */
    private readonly warn: (warning: SourceWarning) => void,
  ) {}

  open(): void {
    this.close();
    this.reader = openCaptureFile(this.file, this.options);
    this.progress = { done: 0, total: this.reader.size };
  }

  /** Bytes of the file read so far, and its size; the last figures stay after close. */
  bytes(): { done: number; total: number } {
    if (this.reader) this.progress.done = this.reader.bytesRead();
    return this.progress;
  }

  /** The next frame of this file, or null at its end. */
  nextFrame(): Frame | null {
    const reader = this.reader;
    if (!reader) return null;
    for (let rec = reader.next(); rec !== null; rec = reader.next()) {
      if ((this.decoded[rec.iface] ?? this.checkInterface(reader, rec.iface)) === 0) continue;
      const hop = this.hopOf(rec);
      if (hop < 0) continue;
      return { hop, linkType: rec.linkType, tsSec: rec.tsSec, tsNsec: rec.tsNsec, data: rec.data, origLen: rec.origLen };
    }
    this.finish(reader);
    return null;
  }

  private hopOf(rec: CaptureRecord): number {
    const map = this.map;
    if (map.kind === 'whole') return map.hop;
    if (map.kind === 'iface') return map.hopByIface[rec.iface] ?? -1;
    if (rec.data.length < SLL2_INDEX_END) {
      this.shortSll2++;
      return -1;
    }
    return map.hopByIfindex.get(sll2InterfaceIndex(rec.data)) ?? -1;
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
    this.shortSll2 = 0;
  }
}

// Our own classic pcap reader. pcap-parser (the design card's reader) knows only the
// microsecond magic, so nanosecond files come here; it reads microsecond files too, which
// lets the benchmark compare the two on the same bytes.
import { FileWindow } from './file-window.js';
import type { CaptureInterface, CaptureRecord, RecordReader } from './types.js';
import {
  PCAP_HEADER_LENGTH,
  PCAP_RECORD_HEADER_LENGTH,
  PcapClock,
  type PcapFileHeader,
  checkRecordLength,
  parsePcapHeader,
  pcapInterface,
} from './pcap-layout.js';
import { WindowedReader } from './windowed-reader.js';

export class NativePcapReader extends WindowedReader implements RecordReader {
  readonly format: 'pcap' | 'pcap-ns';
  private readonly header: PcapFileHeader;
  private readonly iface: CaptureInterface;
  private readonly clock: PcapClock;
  private offset = PCAP_HEADER_LENGTH;

  constructor(file: string, window: FileWindow) {
    super(file, window);
    window.ensure(0, Math.min(PCAP_HEADER_LENGTH, window.size));
    this.header = parsePcapHeader(file, window.view);
    this.format = this.header.nanosecond ? 'pcap-ns' : 'pcap';
    this.iface = pcapInterface(this.header);
    this.clock = new PcapClock(file, this.warnings, this.header.nanosecond);
  }

  interfaces(): CaptureInterface[] {
    return [this.iface];
  }

  /**
   * The record advance() last stepped onto, without an object per record: its bytes are
   * window.bytes[dataAt, dataAt + caplen), valid until the next advance().
   */
  tsSec = 0;
  tsNsec = 0;
  dataAt = 0;
  caplen = 0;
  origLen = 0;
  recordOffset = 0;

  get linkType(): number {
    return this.header.linkType;
  }

  /** The window the cursor's bytes are in (window.bytes changes on a refill). */
  get bytes(): Uint8Array {
    return this.window.bytes;
  }

  /** Recycles the window's buffer: the caller is done with a record's bytes when it advances. */
  recycleBuffer(): void {
    this.window.recycle = true;
  }

  /** Steps onto the next record (see the cursor fields); false at the end. */
  advance(): boolean {
    if (this.done) return false;
    const win = this.window;
    const offset = this.offset;
    if (!win.ensure(offset, PCAP_RECORD_HEADER_LENGTH)) return this.finish(offset) !== null;
    const le = this.header.littleEndian;
    const view = win.view;
    const at = offset - win.start;
    const caplen = checkRecordLength(this.file, offset, view.getUint32(at + 8, le), this.header);
    const sec = view.getUint32(at, le);
    const fraction = view.getUint32(at + 4, le);
    const origLen = view.getUint32(at + 12, le);
    const data = offset + PCAP_RECORD_HEADER_LENGTH;
    if (!win.ensure(data, caplen)) return this.finish(offset) !== null;
    this.clock.set(sec, fraction, offset);
    this.offset = data + caplen;
    this.records++;
    this.tsSec = this.clock.sec;
    this.tsNsec = this.clock.nsec;
    this.dataAt = data - win.start;
    this.caplen = caplen;
    this.origLen = origLen;
    this.recordOffset = offset;
    return true;
  }

  next(): CaptureRecord | null {
    if (!this.advance()) return null;
    return {
      iface: 0,
      linkType: this.header.linkType,
      tsSec: this.tsSec,
      tsNsec: this.tsNsec,
      data: this.window.slice(this.dataAt, this.caplen),
      origLen: this.origLen,
      offset: this.recordOffset,
    };
  }
}

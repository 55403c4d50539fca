// Our own classic pcap reader. pcap-parser (the design card's reader) knows only the
// microsecond magic, so nanosecond files come here; it reads microsecond files too, which
// lets the benchmark compare the two on the same bytes.
import type { SourceWarning } from '../../model.js';
import { FileWindow } from './file-window.js';
import type { CaptureInterface, CaptureRecord, RecordReader } from './open.js';
import {
  FractionCheck,
  PCAP_HEADER_LENGTH,
  PCAP_RECORD_HEADER_LENGTH,
  checkRecordLength,
  parsePcapHeader,
  truncationWarning,
  type PcapFileHeader,
} from './pcap-layout.js';

export class NativePcapReader implements RecordReader {
  readonly format: 'pcap' | 'pcap-ns';
  readonly warnings: SourceWarning[] = [];
  private readonly header: PcapFileHeader;
  private readonly iface: CaptureInterface;
  private readonly fractions: FractionCheck;
  /** Nanoseconds per unit of the record's fraction field. */
  private readonly fractionScale: number;
  private readonly fractionLimit: number;
  private offset = PCAP_HEADER_LENGTH;
  private records = 0;
  private done = false;

  constructor(
    readonly file: string,
    private readonly window: FileWindow,
  ) {
    window.ensure(0, Math.min(PCAP_HEADER_LENGTH, window.size));
    this.header = parsePcapHeader(file, window.view);
    this.format = this.header.nanosecond ? 'pcap-ns' : 'pcap';
    this.iface = { id: 0, linkType: this.header.linkType, snaplen: this.header.snaplen, section: 0, offset: 0 };
    this.fractionLimit = this.header.nanosecond ? 1e9 : 1e6;
    this.fractionScale = this.header.nanosecond ? 1 : 1000;
    this.fractions = new FractionCheck(file, this.warnings, this.fractionLimit);
  }

  interfaces(): CaptureInterface[] {
    return [this.iface];
  }

  next(): CaptureRecord | null {
    if (this.done) return null;
    const win = this.window;
    const offset = this.offset;
    if (!win.ensure(offset, PCAP_RECORD_HEADER_LENGTH)) return this.finish(offset);
    const le = this.header.littleEndian;
    let at = offset - win.start;
    const view = win.view;
    const caplen = checkRecordLength(this.file, offset, view.getUint32(at + 8, le), this.header);
    let tsSec = view.getUint32(at, le);
    const fraction = view.getUint32(at + 4, le);
    const origLen = view.getUint32(at + 12, le);
    if (!win.ensure(offset + PCAP_RECORD_HEADER_LENGTH, caplen)) return this.finish(offset);
    at = offset + PCAP_RECORD_HEADER_LENGTH - win.start;
    let tsNsec = fraction * this.fractionScale;
    if (fraction >= this.fractionLimit) {
      const carried = this.fractions.carry(offset, fraction);
      tsSec += carried.sec;
      tsNsec = carried.nsec;
    }
    this.offset = offset + PCAP_RECORD_HEADER_LENGTH + caplen;
    this.records++;
    return {
      iface: 0,
      linkType: this.header.linkType,
      tsSec,
      tsNsec,
      data: win.slice(at, caplen),
      origLen,
      offset,
    };
  }

  private finish(offset: number): null {
    this.done = true;
    if (offset < this.window.size) this.warnings.push(truncationWarning(this.file, offset, this.records));
    return null;
  }

  close(): void {
    this.done = true;
    this.window.close();
  }
}
